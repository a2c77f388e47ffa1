// cwdprobe in Rust: the operations of probe.c, through std (which goes
// through wasi-libc's path lookup on wasm32-wasi). Built with
// /usr/bin/rustc --target wasm32-wasi -O; with --cfg no_chdir it never
// calls set_current_dir, so wasi-libc's chdir is not linked.
use std::io::Write;

fn cat(p: &str) {
    match std::fs::read_to_string(p) {
        Ok(s) => println!("cat {}: {}", p, s.trim_end_matches('\n')),
        Err(e) => println!("cat {}: error {}", p, e),
    }
}

fn put(p: &str) {
    match std::fs::File::create(p).and_then(|mut f| f.write_all(b"written\n")) {
        Ok(()) => println!("write {}: ok", p),
        Err(e) => println!("write {}: error {}", p, e),
    }
}

#[cfg(not(no_chdir))]
fn cd(p: &str) {
    match std::env::set_current_dir(p) {
        Ok(()) => println!("cd {}: ok", p),
        Err(e) => println!("cd {}: error {}", p, e),
    }
}

#[cfg(no_chdir)]
fn cd(p: &str) {
    println!("cd {}: not linked", p);
}

fn main() {
    for a in std::env::args().skip(1) {
        let (op, arg) = a.split_once(':').unwrap_or((a.as_str(), ""));
        match op {
            "cat" => cat(arg),
            "write" => put(arg),
            "mv" => {
                let (from, to) = arg.split_once(':').unwrap_or((arg, ""));
                match std::fs::rename(from, to) {
                    Ok(()) => println!("mv {} {}: ok", from, to),
                    Err(e) => println!("mv {} {}: error {}", from, to, e),
                }
            }
            "pwd" => match std::env::current_dir() {
                Ok(d) => println!("pwd: {}", d.display()),
                Err(e) => println!("pwd: error {}", e),
            },
            "cd" => cd(arg),
            "exit" => {
                std::io::stdout().flush().unwrap();
                std::process::exit(arg.parse().unwrap_or(0));
            }
            _ => {}
        }
    }
}
