//! Running `node server.js` for a smoke run: its own process group (so it and its children stop
//! together, by its own id), the build tree hidden in a private mount namespace where the
//! platform allows it, readiness by polling the port, plain HTTP/1.1 requests, and a stop that
//! always happens (Drop).

use crate::InputError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the build tree was kept out of the server's reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// A private mount namespace with an empty tmpfs over the hidden directories.
    MountNamespace,
    /// Only the guard module's reports (the directories stay readable).
    GuardOnly,
    /// Nothing hidden (`next start` runs in a copy of the project that links its node_modules).
    None,
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, InputError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| InputError::new(format!("127.0.0.1: cannot bind a port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| InputError::new(format!("127.0.0.1: {e}")))
}

pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub isolation: Isolation,
    pub output: PathBuf,
}

pub struct Launch<'a> {
    pub node: &'a Path,
    pub server_dir: &'a Path,
    pub script: &'a str,
    /// Arguments after the script; `{port}` is replaced by the chosen port.
    pub args: Vec<String>,
    pub guard: &'a Path,
    pub env: Vec<(String, String)>,
    /// Directories to hide (never ones that contain `server_dir`).
    pub hidden: Vec<PathBuf>,
    pub output: PathBuf,
}

impl Server {
    pub fn start(launch: Launch) -> Result<Self, InputError> {
        let port = free_port()?;
        let log = std::fs::File::create(&launch.output)
            .map_err(|e| InputError::new(format!("{}: {e}", launch.output.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| InputError::new(e.to_string()))?;
        let hideable: Vec<&PathBuf> = launch
            .hidden
            .iter()
            .filter(|h| !launch.server_dir.starts_with(h) && h.is_dir())
            .collect();
        let isolation = if launch.hidden.is_empty() {
            Isolation::None
        } else if !hideable.is_empty() && crate::platform::mount_namespace_available() {
            Isolation::MountNamespace
        } else {
            Isolation::GuardOnly
        };
        let mut node_args = vec![
            "--import".to_string(),
            crate::platform::file_url(launch.guard),
            launch.script.to_string(),
        ];
        node_args.extend(
            launch
                .args
                .iter()
                .map(|a| a.replace("{port}", &port.to_string())),
        );
        let mut command = match isolation {
            Isolation::MountNamespace => {
                // `unshare` and `sh` exec in place, so the child's pid is node's pid.
                let mut script = String::from("set -e; ");
                for (i, _) in hideable.iter().enumerate() {
                    script.push_str(&format!(
                        "mount -t tmpfs -o size=1m next-graft-hidden \"$H{i}\"; "
                    ));
                }
                script.push_str("exec \"$@\"");
                let mut c = Command::new("unshare");
                c.args(["-m", "--", "sh", "-c", &script, "sh"])
                    .arg(launch.node)
                    .args(&node_args);
                for (i, dir) in hideable.iter().enumerate() {
                    c.env(format!("H{i}"), dir);
                }
                c
            }
            Isolation::GuardOnly | Isolation::None => {
                let mut c = Command::new(launch.node);
                c.args(&node_args);
                c
            }
        };
        command
            .current_dir(launch.server_dir)
            .env("PORT", port.to_string())
            .env("HOSTNAME", "127.0.0.1")
            .env("NODE_ENV", "production")
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .envs(launch.env)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = crate::platform::spawn_group(&mut command).map_err(|e| {
            InputError::new(format!("{}: cannot start node: {e}", launch.node.display()))
        })?;
        Ok(Self {
            child: Some(child),
            port,
            isolation,
            output: launch.output,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Waits until the port accepts connections; an error if the server exits or the time runs out.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<(), InputError> {
        let deadline = Instant::now() + timeout;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Some(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(InputError::new(format!(
                        "the server exited before it listened ({status}): {}",
                        last_lines(&self.output, 3)
                    )));
                }
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(InputError::new(format!(
                    "the server did not listen on 127.0.0.1:{} within {}s: {}",
                    self.port,
                    timeout.as_secs(),
                    last_lines(&self.output, 3)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server and every process of its group: asked to stop (SIGTERM), then killed
    /// after a grace ([`crate::platform::stop_group`]).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        crate::platform::stop_group(&child, false);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Children of the group may outlive the leader: always sweep it.
        crate::platform::stop_group(&child, true);
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` non-empty lines of a file, joined, for error messages.
pub fn last_lines(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    let tail = lines[start..].join(" | ");
    if tail.is_empty() {
        "(no output)".into()
    } else {
        tail
    }
}

/// One `GET` over HTTP/1.1; the status code, or an error text.
pub fn get(port: u16, path: &str, timeout: Duration) -> Result<u16, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: next-graft-smoke\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // Read the whole response (the server finishes its work, e.g. cache sets, around it).
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            format!(
                "no HTTP status line in the response ({} bytes)",
                response.len()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_the_status_line() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).unwrap();
            socket
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        });
        assert_eq!(get(port, "/", Duration::from_secs(5)), Ok(503));
        thread.join().unwrap();
    }

    #[test]
    fn server_that_exits_early_is_reported_and_reaped() {
        let dir = tempfile::tempdir().unwrap();
        let guard = dir.path().join("guard.mjs");
        std::fs::write(&guard, "").unwrap();
        std::fs::write(
            dir.path().join("server.js"),
            "console.error('boom: cannot start'); process.exit(3)",
        )
        .unwrap();
        let Ok(node) = which_node() else { return };
        let mut server = Server::start(Launch {
            node: &node,
            server_dir: dir.path(),
            script: "server.js",
            args: vec![],
            guard: &guard,
            env: vec![],
            hidden: vec![],
            output: dir.path().join("out.log"),
        })
        .unwrap();
        let err = server.wait_ready(Duration::from_secs(20)).unwrap_err();
        assert!(
            err.message.contains("boom: cannot start"),
            "{}",
            err.message
        );
        server.stop();
        assert!(server.pid().is_none());
    }

    fn which_node() -> Result<PathBuf, ()> {
        crate::smoke::find_node().map_err(|_| ())
    }
}
