#!/usr/bin/env python3
"""Helpers for scripts/test-platforms (standard library only, no installs).

  inspect FILE KIND      read the executable's header; exit 1 unless it is KIND:
                         elf-static:<machine>, elf-gnu:<machine> (x86_64 | aarch64),
                         macho:<cpu> (x86_64 | arm64), pe:<machine> (x86_64 | arm64).
                         Prints one line: format, machine, linking (libraries / DLLs).
  normalize JSON ROOT... the verdict of a `--format json` run with every path made relative to
                         the project (ROOT: the project as the binary saw it, POSIX or Windows
                         form; several may be given); messages are dropped (they embed paths).
  tree DIR [skip-configs] every file and link under DIR, sorted: `path sha256` / `path -> target`
                         (skip-configs: without the config copies winpaths rewrites), except the
                         Windows lock file .next/.next-graft.lock and the edge store
                         .next/cache/next-graft/edges.json.
  winpaths DIR MODE      rewrite the recorded handler paths of the build DIR in every config
                         copy the way a Next build on Windows records them. MODE:
                           posix-absolute  (the POSIX twin) handler values absolute: DIR/<file>
                           win-relative    handler values `..\\<file>`; absolute paths `Z:\\…`
                           win-absolute    handler values `Z:\\…\\<file>`; absolute paths `Z:\\…`
                         (Wine maps drive Z: to /, so Z:\\x is the same file as /x.)
  handler-values DIR     after graft: every handler value in every config copy must be one Node
                         on Windows resolves in any directory: relative (either separator), naming
                         a file that exists from that copy's distDir. Prints them; exit 1 if not.
"""
import hashlib
import json
import os
import re
import struct
import sys

# ---------------------------------------------------------------------------------------- inspect

ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64"}
PE_MACHINES = {0x8664: "x86_64", 0xAA64: "arm64", 0x14C: "i386", 0x1C4: "armnt"}

# Libraries every macOS installation has (in the dyld shared cache). The libc crate links
# libiconv on Apple targets; Zig's SDK stubs add libcharset (which libiconv uses) beside it.
MACOS_SYSTEM_DYLIBS = {
    "/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib", "/usr/lib/libcharset.1.dylib",
    "/usr/lib/libc++.1.dylib", "/usr/lib/libobjc.A.dylib", "/usr/lib/libresolv.9.dylib",
    "/usr/lib/libz.1.dylib",
}

# The oldest OS each binary must start on: glibc 2.17 (scripts/build-platforms, as @next/swc);
# macOS: Rust's own defaults for the targets (10.12 for x86_64, 11.0 for arm64).
GLIBC_FLOOR = (2, 17)
MACOS_FLOOR = {"x86_64": (10, 12), "arm64": (11, 0)}

# DLLs every Windows 10+ installation has (what a Rust std binary may import).
WINDOWS_SYSTEM_DLLS = {
    "kernel32.dll", "ntdll.dll", "advapi32.dll", "bcrypt.dll", "bcryptprimitives.dll",
    "userenv.dll", "ws2_32.dll", "msvcrt.dll", "ucrtbase.dll", "shell32.dll", "ole32.dll",
    "oleaut32.dll", "user32.dll", "secur32.dll", "crypt32.dll", "synchronization.dll",
    "api-ms-win-core-synch-l1-2-0.dll",
}


def fail(msg):
    print(msg)
    sys.exit(1)


def elf_info(data):
    if data[:4] != b"\x7fELF":
        return None
    if data[4] != 2 or data[5] != 1:
        fail("ELF: not 64-bit little-endian")
    (e_type, e_machine) = struct.unpack_from("<HH", data, 16)
    (e_phoff,) = struct.unpack_from("<Q", data, 32)
    (e_phentsize, e_phnum) = struct.unpack_from("<HH", data, 54)
    phdrs = []
    for i in range(e_phnum):
        off = e_phoff + i * e_phentsize
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", data, off)
        phdrs.append((p_type, p_offset, p_vaddr, p_filesz))
    interp = None
    needed = []
    versions = set()
    dynamic = None
    for p_type, p_offset, _v, p_filesz in phdrs:
        if p_type == 3:  # PT_INTERP
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)

    def v2o(vaddr):
        for p_type, p_offset, p_vaddr, p_filesz in phdrs:
            if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:
                return vaddr - p_vaddr + p_offset
        return None

    if dynamic:
        entries = []
        for off in range(dynamic[0], dynamic[0] + dynamic[1], 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == 0:
                break
            entries.append((tag, val))
        strtab = next((v for t, v in entries if t == 5), None)  # DT_STRTAB
        base = v2o(strtab) if strtab is not None else None
        for tag, val in entries:
            if tag == 1 and base is not None:  # DT_NEEDED
                end = data.index(b"\0", base + val)
                needed.append(data[base + val:end].decode())
        # DT_VERNEED / DT_VERNEEDNUM: the symbol versions required (GLIBC_2.17, ...).
        verneed = next((v for t, v in entries if t == 0x6FFFFFFE), None)
        count = next((v for t, v in entries if t == 0x6FFFFFFF), 0)
        off = v2o(verneed) if verneed is not None else None
        for _ in range(count if off is not None and base is not None else 0):
            _ver, cnt, _file, aux, nxt = struct.unpack_from("<HHIII", data, off)
            a_off = off + aux
            for _ in range(cnt):
                _hash, _flags, _other, name, a_next = struct.unpack_from("<IHHII", data, a_off)
                end = data.index(b"\0", base + name)
                versions.add(data[base + name:end].decode())
                a_off += a_next
            off += nxt
    return {
        "format": "ELF",
        "machine": ELF_MACHINES.get(e_machine, hex(e_machine)),
        "type": {2: "EXEC", 3: "DYN"}.get(e_type, str(e_type)),
        "interp": interp,
        "needed": needed,
        "glibc": max((tuple(int(x) for x in v[6:].split(".")) for v in versions
                      if re.fullmatch(r"GLIBC_\d+(\.\d+)*", v)), default=None),
    }


def macho_info(data):
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic in (0xCAFEBABE, 0xBEBAFECA):
        fail("Mach-O: universal (fat) binary, expected a thin one")
    if magic != 0xFEEDFACF:
        return None
    cputype, _sub, filetype, ncmds, _size, _flags = struct.unpack_from("<iiIIII", data, 4)
    off = 32
    dylibs, rpaths, minos = [], [], None
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, off)
        if cmd in (0xC, 0x80000018, 0x8000001F, 0x20, 0x80000023):  # LC_*LOAD*_DYLIB, REEXPORT
            (name_off,) = struct.unpack_from("<I", data, off + 8)
            raw = data[off + name_off:off + cmdsize]
            dylibs.append(raw.split(b"\0", 1)[0].decode())
        elif cmd == 0x8000001C:  # LC_RPATH
            (name_off,) = struct.unpack_from("<I", data, off + 8)
            rpaths.append(data[off + name_off:off + cmdsize].split(b"\0", 1)[0].decode())
        elif cmd == 0x32:  # LC_BUILD_VERSION: platform, minos (xxxx.yy.zz)
            (_platform, v) = struct.unpack_from("<II", data, off + 8)
            minos = f"{v >> 16}.{(v >> 8) & 0xFF}"
        elif cmd == 0x24:  # LC_VERSION_MIN_MACOSX (what linkers write for targets before 10.14)
            (v,) = struct.unpack_from("<I", data, off + 8)
            minos = f"{v >> 16}.{(v >> 8) & 0xFF}"
        off += cmdsize
    return {
        "format": "Mach-O",
        "machine": MACHO_CPUS.get(cputype & 0xFFFFFFFF, hex(cputype & 0xFFFFFFFF)),
        "type": {2: "EXECUTE"}.get(filetype, str(filetype)),
        "dylibs": dylibs,
        "rpaths": rpaths,
        "minos": minos,
    }


def pe_info(data):
    if data[:2] != b"MZ":
        return None
    (lfanew,) = struct.unpack_from("<I", data, 0x3C)
    if data[lfanew:lfanew + 4] != b"PE\0\0":
        fail("PE: no PE signature")
    machine, nsections, _ts, _sym, _nsym, opt_size, characteristics = struct.unpack_from(
        "<HHIIIHH", data, lfanew + 4)
    opt = lfanew + 24
    (opt_magic,) = struct.unpack_from("<H", data, opt)
    if opt_magic != 0x20B:
        fail("PE: not PE32+")
    (subsystem,) = struct.unpack_from("<H", data, opt + 68)
    (ndirs,) = struct.unpack_from("<I", data, opt + 108)
    dirs = [struct.unpack_from("<II", data, opt + 112 + 8 * i) for i in range(ndirs)]
    sections = []
    for i in range(nsections):
        s = opt + opt_size + 40 * i
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", data, s + 8)
        sections.append((vaddr, max(vsize, rawsize), rawptr))

    def r2o(rva):
        for vaddr, size, rawptr in sections:
            if vaddr <= rva < vaddr + size:
                return rva - vaddr + rawptr
        fail(f"PE: RVA {rva:#x} outside every section")

    def cstr(off):
        return data[off:data.index(b"\0", off)].decode()

    def dll_names(index, entry_size, name_field):
        names = []
        if len(dirs) <= index or dirs[index][0] == 0:
            return names
        off = r2o(dirs[index][0])
        while True:
            entry = data[off:off + entry_size]
            if entry == b"\0" * entry_size:
                break
            (name_rva,) = struct.unpack_from("<I", entry, name_field)
            names.append(cstr(r2o(name_rva)))
            off += entry_size
        return names

    return {
        "format": "PE32+",
        "machine": PE_MACHINES.get(machine, hex(machine)),
        "machine_raw": machine,
        "subsystem": {3: "console", 2: "gui"}.get(subsystem, str(subsystem)),
        "executable": bool(characteristics & 0x2),
        "imports": dll_names(1, 20, 12),
        "delay_imports": dll_names(13, 32, 4),
    }


def cmd_inspect(path, kind):
    with open(path, "rb") as f:
        data = f.read()
    fmt, want = kind.split(":")
    info = elf_info(data) or macho_info(data) or pe_info(data)
    if info is None:
        fail(f"{path}: not ELF, Mach-O or PE (starts with {data[:4]!r})")
    if info["machine"] != want:
        fail(f"{info['format']} {info['machine']}, expected {want}")
    if fmt == "elf-static":
        if info["format"] != "ELF":
            fail(f"{info['format']}, expected ELF")
        if info["interp"] or info["needed"]:
            fail(f"ELF {want}: dynamic (interpreter {info['interp']}, needs {info['needed']}), expected static")
        print(f"ELF {want}, static (no interpreter, no DT_NEEDED)")
    elif fmt == "elf-gnu":
        if info["format"] != "ELF":
            fail(f"{info['format']}, expected ELF")
        if not info["interp"]:
            fail(f"ELF {want}: no interpreter, expected a glibc dynamic executable")
        glibc = ".".join(map(str, info["glibc"] or ()))
        if info["glibc"] and info["glibc"] > GLIBC_FLOOR:
            fail(f"ELF {want}: needs glibc {glibc}, newer than the floor "
                 f"{'.'.join(map(str, GLIBC_FLOOR))} (scripts/build-platforms)")
        print(f"ELF {want}, dynamic ({info['interp']}), needs glibc {glibc} "
              f"(floor {'.'.join(map(str, GLIBC_FLOOR))}), {', '.join(info['needed'])}")
    elif fmt == "macho":
        if info["format"] != "Mach-O":
            fail(f"{info['format']}, expected Mach-O")
        if info["type"] != "EXECUTE":
            fail(f"Mach-O filetype {info['type']}, expected MH_EXECUTE")
        bad = [d for d in info["dylibs"]
               if d not in MACOS_SYSTEM_DYLIBS and not d.startswith("/System/Library/Frameworks/")]
        floor = MACOS_FLOOR[want]
        if info["minos"] is None or tuple(map(int, info["minos"].split("."))) > floor:
            fail(f"Mach-O {want}: minimum macOS {info['minos']} (LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX), newer than "
                 f"{'.'.join(map(str, floor))}: it will not start on older macOS "
                 f"(set MACOSX_DEPLOYMENT_TARGET when building)")
        if bad or info["rpaths"] or "/usr/lib/libSystem.B.dylib" not in info["dylibs"]:
            fail(f"Mach-O {want}: links {info['dylibs']}, rpaths {info['rpaths']}: only macOS's own "
                 f"libraries (libSystem, /usr/lib system dylibs, system frameworks) are allowed; not {bad}")
        short = ", ".join(os.path.basename(d).removesuffix(".dylib") for d in info["dylibs"])
        print(f"Mach-O {want} executable, minos {info['minos']}, links {short} (all in /usr/lib)")
    elif fmt == "pe":
        if info["format"] != "PE32+":
            fail(f"{info['format']}, expected PE32+")
        dlls = info["imports"] + info["delay_imports"]
        bad = [d for d in dlls
               if d.lower() not in WINDOWS_SYSTEM_DLLS and not d.lower().startswith("api-ms-win-")]
        if bad or not info["executable"] or info["subsystem"] != "console":
            fail(f"PE {want}: non-system DLLs {bad}, subsystem {info['subsystem']}")
        crt = [d for d in dlls if d.lower().startswith("api-ms-win-crt-")]
        short = [d.removesuffix(".dll").removesuffix(".DLL") for d in dlls if d not in crt]
        if crt:
            short.append(f"api-ms-win-crt-* ({len(crt)}, UCRT)")
        print(f"PE32+ {want} console (machine {info['machine_raw']:#06X}), imports {', '.join(short)}")
    else:
        fail(f"unknown kind {kind}")


# -------------------------------------------------------------------------------------- normalize

def relativize(value, roots):
    """A path string relative to the project (POSIX separators), or the value unchanged."""
    if not isinstance(value, str):
        return value
    for root in roots:
        for candidate in (value, value.replace("\\", "/")):
            r = root.replace("\\", "/").rstrip("/")
            if candidate == r:
                return "<project>"
            if candidate.startswith(r + "/"):
                return "<project>/" + candidate[len(r) + 1:]
    return value


def cmd_normalize(path, *roots):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        print(json.dumps({"stdout": "empty"}))
        return
    report = json.loads(text)
    findings = []
    for f in report.get("findings", []):
        loc = f.get("location") or {}
        findings.append({
            "slug": f.get("slug"),
            "severity": f.get("severity"),
            "handler": f.get("handler"),
            "fixed": f.get("fixed"),
            "file": relativize(loc.get("file"), roots),
            "line": loc.get("line"),
            "column": loc.get("column"),
        })
    handlers = []
    for h in report.get("handlers", []):
        handlers.append({k: relativize(h.get(k), roots) for k in (
            "key", "kind", "active", "runtime_path", "source_path", "deployed_files",
            "source_files")})
    out = {
        "command": report.get("command"),
        "schema_version": report.get("schema_version"),
        "next_version": report.get("next_version"),
        "project": relativize(report.get("project"), roots),
        "summary": report.get("summary"),
        "findings": findings,
        "handlers": handlers,
    }
    print(json.dumps(out, indent=1, sort_keys=True))


# ------------------------------------------------------------------------------------------- tree

def cmd_tree(root, *options):
    skip = set(CONFIG_COPIES) if "skip-configs" in options else set()
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel.replace(os.sep, "/") in skip:
                continue
            if rel.replace(os.sep, "/") in (WINDOWS_LOCK, EDGE_STORE):
                continue
            if os.path.islink(full):
                lines.append(f"{rel} -> {os.readlink(full)}")
            else:
                with open(full, "rb") as f:
                    lines.append(f"{rel} {hashlib.sha256(f.read()).hexdigest()}")
    print("\n".join(sorted(lines)))


# --------------------------------------------------------------------------------------- winpaths

CONFIG_COPIES = [
    ".next/required-server-files.json",
    ".next/required-server-files.js",
    ".next/standalone/.next/required-server-files.json",
    ".next/standalone/server.js",
]
HANDLERS = ["cache-handler.js", "use-cache-handler.mjs"]
# The Windows build's lock file (a directory handle cannot be locked there; src/platform/
# windows.rs `lock_handle`): left in the distDir, outside standalone/, by design.
WINDOWS_LOCK = ".next/.next-graft.lock"
# graft's edge store (src/trace/store.rs): a cache that a graft leaves only when it wrote the
# tree, so a platform run that had to repair (Windows paths) has one and the host's healthy run
# of the same build has none. Not part of what graft copied.
EDGE_STORE = ".next/cache/next-graft/edges.json"


def win(posix_path):
    """The path as a Windows program under Wine sees it (drive Z: is /)."""
    return "Z:" + posix_path.replace("/", "\\")


def json_str(s):
    return json.dumps(s)


def cmd_winpaths(root, mode):
    root = os.path.abspath(root)
    with open(os.path.join(root, ".next/required-server-files.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    config = manifest.get("config", {})
    prefixes = {root, manifest.get("appDir"), config.get("outputFileTracingRoot"),
                (config.get("turbopack") or {}).get("root")}
    prefixes = {p.rstrip("/") for p in prefixes if isinstance(p, str) and p.startswith("/")}
    changed = 0
    for rel in CONFIG_COPIES:
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        before = text
        for h in HANDLERS:
            old = json_str("../" + h)
            if mode == "posix-absolute":
                new = json_str(f"{root}/{h}")
            elif mode == "win-relative":
                new = json_str("..\\" + h)
            elif mode == "win-absolute":
                new = json_str(win(f"{root}/{h}"))
            else:
                fail(f"unknown mode {mode}")
            text = text.replace(old, new)
        if mode.startswith("win-"):
            # Every other absolute path the build recorded (appDir, outputFileTracingRoot,
            # turbopack.root, ...): a JSON string that is one of those directories or inside one.
            def to_win(m):
                value = json.loads(m.group(0))
                if any(value == p or value.startswith(p + "/") for p in prefixes):
                    return json_str(win(value))
                return m.group(0)
            text = re.sub(r'"/(?:[^"\\]|\\.)*"', to_win, text)
        if text == before:
            fail(f"{rel}: no recorded path to rewrite")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        changed += 1
    if changed == 0:
        fail(f"{root}: no config copy found")


HANDLER_KEY = re.compile(r'"cacheHandler"\s*:\s*("(?:[^"\\]|\\.)*")')
HANDLERS_OBJ = re.compile(r'"cacheHandlers"\s*:\s*\{([^{}]*)\}')
PAIR = re.compile(r'"([^"]+)"\s*:\s*("(?:[^"\\]|\\.)*")')


def cmd_handler_values(root):
    root = os.path.abspath(root)
    bad, seen = [], []
    for rel in CONFIG_COPIES:
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        values = [("cacheHandler", json.loads(m.group(1))) for m in HANDLER_KEY.finditer(text)]
        for obj in HANDLERS_OBJ.finditer(text):
            values += [(f"cacheHandlers.{k}", json.loads(v)) for k, v in PAIR.findall(obj.group(1))]
        # The distDir each copy is read against (`node server.js` runs in standalone/).
        dist = os.path.join(root, ".next/standalone/.next" if "standalone" in rel else ".next")
        for key, value in values:
            seen.append(f"{rel} {key}={value}")
            # Node on Windows accepts either separator in a relative path; a drive letter or a
            # leading separator would be a path of the build machine.
            target = os.path.normpath(os.path.join(dist, value.replace("\\", "/")))
            if re.match(r"^([A-Za-z]:|[\\/])", value):
                bad.append(f"{rel} {key}={value!r}: not relative")
            elif not os.path.isfile(target):
                bad.append(f"{rel} {key}={value!r}: {target} does not exist")
    if not seen:
        fail(f"{root}: no handler value found")
    if bad:
        fail("; ".join(bad))
    print("; ".join(seen))


def main():
    cmd, *args = sys.argv[1:] or ["help"]
    handlers = {"inspect": cmd_inspect, "normalize": cmd_normalize, "tree": cmd_tree,
                "winpaths": cmd_winpaths, "handler-values": cmd_handler_values}
    if cmd not in handlers:
        print(__doc__)
        sys.exit(2)
    handlers[cmd](*args)


if __name__ == "__main__":
    main()
