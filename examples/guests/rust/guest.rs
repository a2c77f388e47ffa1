// guest.rs: the Rust member of the guest matrix (examples/guests/README.md),
// for WASI preview 1 with Rust's std.
//
// Build: rustc --edition 2021 --target wasm32-wasi -O -o rust.wasm guest.rs
// (Debian 12's rustc 1.63 with libstd-rust-dev-wasm32.)
use std::env;
use std::fs;
use std::io::{self, Write};
use std::process::{self, ExitCode};

const FAMILY: &str = "rust";

// show_file prints "read PATH: FIRST-LINE", or "read PATH: error" with the
// reason on stderr.
fn show_file(path: &str) {
    match fs::read_to_string(path) {
        Ok(s) => println!("read {}: {}", path, s.lines().next().unwrap_or("")),
        Err(e) => {
            eprintln!("guest: read {}: {}", path, e);
            println!("read {}: error", path);
        }
    }
}

fn write_file(path: &str) -> io::Result<()> {
    fs::write(path, format!("{} was here\n", FAMILY))
}

fn main() -> ExitCode {
    for (i, a) in env::args().enumerate() {
        println!("arg[{}]={}", i, a);
    }
    for name in ["GUEST_GREETING", "PWD"] {
        match env::var(name) {
            Ok(v) => println!("env {}={}", name, v),
            Err(_) => println!("env {} unset", name),
        }
    }
    show_file(&env::var("GUEST_ABS_FILE").unwrap_or_else(|_| "/etc/guest.txt".into()));
    show_file(&env::var("GUEST_REL_FILE").unwrap_or_else(|_| "local.txt".into()));
    if let Ok(w) = env::var("GUEST_WRITE_FILE") {
        match write_file(&w) {
            Ok(()) => {
                println!("write {}: ok", w);
                show_file(&w);
            }
            Err(e) => {
                eprintln!("guest: write {}: {}", w, e);
                println!("write {}: error", w);
            }
        }
    }
    if let Ok(ro) = env::var("GUEST_RO_FILE") {
        match write_file(&ro) {
            Ok(()) => println!("write {}: allowed", ro),
            Err(e) => {
                eprintln!("guest: write {}: {}", ro, e);
                println!("write {}: refused", ro);
            }
        }
    }

    // GUEST_SLEEP=N: stay running N seconds (the benchmark's memory of a
    // running guest).
    let _ = io::stdout().flush();
    if let Some(secs) = env::var("GUEST_SLEEP").ok().and_then(|s| s.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_secs(secs));
    }

    let n: i32 = env::var("GUEST_EXIT").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let _ = io::stdout().flush();
    match env::var("GUEST_EXIT_HOW").as_deref() {
        Err(_) | Ok("exit") => process::exit(n),
        Ok("return") => ExitCode::from(n as u8),
        Ok("trap") => panic!("guest: asked to panic"),
        Ok(how) => {
            eprintln!("guest: GUEST_EXIT_HOW={}: want exit, return or trap", how);
            ExitCode::from(2)
        }
    }
}
