//! POSIX `path` and `url` semantics, as strings (no file system).

pub fn is_absolute(p: &str) -> bool {
    p.starts_with('/') || is_windows_absolute(p)
}

fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// `path.normalize`.
pub fn normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let abs = p.starts_with('/');
    let trailing = p.ends_with('/') && p.len() > 1;
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if abs {
        out.insert(0, '/');
    }
    if out.is_empty() {
        out.push('.');
    }
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// `path.join`.
pub fn join(parts: &[String]) -> String {
    let joined: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if joined.is_empty() {
        return ".".into();
    }
    normalize(&joined.join("/"))
}

/// `path.resolve` with the given cwd.
pub fn resolve(cwd: &str, parts: &[String]) -> String {
    let mut acc = String::new();
    for p in parts.iter().rev() {
        if p.is_empty() {
            continue;
        }
        acc = if acc.is_empty() {
            p.clone()
        } else {
            format!("{p}/{acc}")
        };
        if p.starts_with('/') {
            break;
        }
    }
    if !acc.starts_with('/') {
        acc = if acc.is_empty() {
            cwd.to_string()
        } else {
            format!("{cwd}/{acc}")
        };
    }
    let n = normalize(&acc);
    if n.len() > 1 {
        n.trim_end_matches('/').to_string()
    } else {
        n
    }
}

/// `path.dirname`.
pub fn dirname(p: &str) -> String {
    let trimmed = if p.len() > 1 {
        p.trim_end_matches('/')
    } else {
        p
    };
    match trimmed.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => trimmed[..i].to_string(),
        None => ".".into(),
    }
}

/// `path.basename`.
pub fn basename(p: &str) -> String {
    let trimmed = if p.len() > 1 {
        p.trim_end_matches('/')
    } else {
        p
    };
    trimmed.rsplit('/').next().unwrap_or("").to_string()
}

fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

fn decode_path(p: &str) -> String {
    let bytes = p.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `pathToFileURL(p).href` for an absolute POSIX path.
pub fn path_to_file_url(p: &str) -> String {
    format!("file://{}", encode_path(p))
}

/// `fileURLToPath(url)`; `None` when `url` is not a `file:` URL. The one decoder of file URLs:
/// the CLI's config checks, tracer and planner call it too.
pub fn file_url_to_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("file://")?;
    // `localhost` is the one host Node accepts; other hosts are not supported on POSIX.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    Some(decode_path(path))
}

/// The `pathname` of a `file:` URL (still percent-encoded).
pub fn file_url_pathname(url: &str) -> Option<String> {
    let rest = url.strip_prefix("file://")?;
    if !rest.starts_with('/') {
        return None;
    }
    Some(rest.split(['?', '#']).next().unwrap_or(rest).to_string())
}

/// `new URL(spec, base).href` where base is a `file:` URL; `None` if not computable.
pub fn url_join(spec: &str, base: &str) -> Option<String> {
    if spec.starts_with("file:") {
        return Some(spec.to_string());
    }
    if spec.contains("://") || spec.starts_with("data:") || spec.starts_with("node:") {
        return None;
    }
    let base_path = file_url_pathname(base)?;
    let (spec_path, suffix) = match spec.find(['?', '#']) {
        Some(i) => (&spec[..i], &spec[i..]),
        None => (spec, ""),
    };
    let joined = if spec_path.starts_with('/') {
        normalize(spec_path)
    } else if spec_path.is_empty() {
        base_path.clone()
    } else {
        let dir = if base_path.ends_with('/') {
            base_path.clone()
        } else {
            format!("{}/", dirname(&base_path))
        };
        let n = normalize(&format!("{dir}{spec_path}"));
        if (spec_path.ends_with('/') || spec_path.ends_with("/.") || spec_path == ".")
            && !n.ends_with('/')
        {
            format!("{n}/")
        } else {
            n
        }
    };
    Some(format!(
        "file://{}{}",
        encode_path(&decode_path(&joined)),
        suffix
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix() {
        assert_eq!(
            join(&["/a/b".into(), "../c".into(), "./d.js".into()]),
            "/a/c/d.js"
        );
        assert_eq!(join(&["a".into(), "".into(), "b".into()]), "a/b");
        assert_eq!(resolve("/cwd", &["x".into(), "y.js".into()]), "/cwd/x/y.js");
        assert_eq!(
            resolve("/cwd", &["/abs".into(), "y.js".into()]),
            "/abs/y.js"
        );
        assert_eq!(resolve("/cwd", &[]), "/cwd");
        assert_eq!(dirname("/a/b/c.mjs"), "/a/b");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("a"), ".");
        assert_eq!(basename("/a/b.js"), "b.js");
        assert_eq!(normalize("../x/./y"), "../x/y");
    }

    #[test]
    fn urls() {
        let base = path_to_file_url("/p q/next.config.mjs");
        assert_eq!(base, "file:///p%20q/next.config.mjs");
        let u = url_join("./h/x.mjs", &base).unwrap();
        assert_eq!(u, "file:///p%20q/h/x.mjs");
        assert_eq!(file_url_to_path(&u).unwrap(), "/p q/h/x.mjs");
        assert_eq!(
            url_join("../y.js", "file:///a/b/c.js").unwrap(),
            "file:///a/y.js"
        );
        assert_eq!(url_join("https://x", "file:///a"), None);
        assert_eq!(file_url_to_path("http://x"), None);
        assert_eq!(decode_path("%"), "%");
        assert_eq!(decode_path("a%2"), "a%2");
    }
}
