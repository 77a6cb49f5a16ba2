//! What a person at a terminal sees: keyhound run on a pseudo-terminal
//! (`portable-pty`; every byte drawn is recorded, and `vt100` turns them
//! into the screen a person would see after), and the same scans piped,
//! which must carry no progress. No external program is needed.

use crate::util::{RunExt, TestEnv, fake, git};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// What a terminal showed while `keyhound args` ran in `dir`: every byte
/// written to it, and the screen once it was done.
struct Seen {
    raw: String,
    screen: String,
}

const ROWS: u16 = 50;
const COLS: u16 = 200;

fn on_terminal(env: &TestEnv, dir: &Path, args: &[&str]) -> Seen {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_keyhound"));
    cmd.args(args);
    cmd.cwd(dir);
    cmd.env_clear();
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", env.path().join("home"));
    cmd.env("NO_COLOR", "1");
    let mut child = pty.slave.spawn_command(cmd).expect("keyhound starts");
    // The reader sees end of file once the child and our copy of the
    // terminal's other end are both gone.
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("terminal reader");
    let drawn = std::thread::spawn(move || {
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        raw
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("child status").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("keyhound on the terminal did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(pty.master);
    let raw = drawn.join().expect("reader thread");
    let mut parser = vt100::Parser::new(ROWS, COLS, 0);
    parser.process(&raw);
    Seen {
        raw: String::from_utf8_lossy(&raw).into_owned(),
        screen: parser.screen().contents(),
    }
}

fn tree(env: &TestEnv) -> std::path::PathBuf {
    let dir = env.path().join("tree");
    for i in 0..40 {
        let body = format!("line {i}\n").repeat(20_000);
        std::fs::create_dir_all(dir.join(format!("d{}", i % 4))).unwrap();
        std::fs::write(dir.join(format!("d{}/f{i}.txt", i % 4)), body).unwrap();
    }
    std::fs::write(
        dir.join("leak.env"),
        format!("SECRET_ID={}\n", fake("AKID", 32, 77)),
    )
    .unwrap();
    dir
}

#[test]
fn file_scans_show_a_spinner_with_files_mib_and_time_on_a_terminal() {
    let env = TestEnv::new();
    let dir = tree(&env);
    let seen = on_terminal(&env, &dir, &["scan", "."]);
    let spinner = regex::Regex::new(r"scanning: (\d+) files, (\d+\.\d) MiB \d+s").unwrap();
    let drawn: Vec<(u64, f64)> = spinner
        .captures_iter(&seen.raw)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect();
    assert!(!drawn.is_empty(), "no spinner drawn: {:?}", seen.raw);
    // The last state drawn is the whole scan: 41 files, about 5 MiB.
    let (files, mib) = *drawn.last().unwrap();
    assert_eq!(files, 41, "{:?}", seen.raw);
    assert!((4.0..6.0).contains(&mib), "{mib} MiB: {:?}", seen.raw);
    // Cleared when done: the screen holds the report and its summary.
    assert!(!seen.screen.contains("scanning:"), "{}", seen.screen);
    let summary = regex::Regex::new(
        r"1 finding in 41 files scanned \(\d+\.\d MiB, \d+\.\d\d s\): 1 critical",
    )
    .unwrap();
    assert!(summary.is_match(&seen.screen), "{}", seen.screen);
}

#[test]
fn quiet_scans_draw_nothing_on_a_terminal() {
    let env = TestEnv::new();
    let dir = tree(&env);
    let seen = on_terminal(&env, &dir, &["-q", "scan", "."]);
    assert!(!seen.raw.contains("scanning"), "{:?}", seen.raw);
    assert!(
        seen.screen.contains("1 finding in 41 files"),
        "{}",
        seen.screen
    );
}

#[test]
fn history_scans_show_one_bar_whose_total_is_known_before_it_counts() {
    let env = TestEnv::new();
    let repo = env.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for i in 0..30 {
        std::fs::write(repo.join(format!("f{i}.txt")), format!("v{i}\n")).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", &format!("c{i}")]);
    }
    let seen = on_terminal(&env, &repo, &["scan", "--git", "."]);
    assert!(
        seen.raw.contains("walking history: "),
        "no commit spinner: {:?}",
        seen.raw
    );
    let bar = regex::Regex::new(r"scanning history: (\d+)/(\d+) blobs").unwrap();
    let states: Vec<(u64, u64)> = bar
        .captures_iter(&seen.raw)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect();
    assert!(!states.is_empty(), "no bar drawn: {:?}", seen.raw);
    // 30 commits, each adding one file: 30 blobs, the total from the start.
    assert!(
        states.iter().all(|&(pos, len)| len == 30 && pos <= len),
        "{states:?}"
    );
    assert_eq!(states.last(), Some(&(30, 30)), "{:?}", seen.raw);
    assert!(
        seen.screen
            .contains("no credentials found in 30 blobs scanned"),
        "{}",
        seen.screen
    );
    assert!(!seen.screen.contains("scanning history"), "{}", seen.screen);
}

#[test]
fn piped_scans_carry_no_progress() {
    let env = TestEnv::new();
    let dir = tree(&env);
    let repo = env.path().join("tree");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "all"]);
    for args in [&["scan", "."][..], &["scan", "--git", "."]] {
        let out = crate::util::keyhound().current_dir(&dir).args(args).run();
        out.code(1);
        let (stdout, stderr) = (out.stdout.as_str(), out.stderr.as_str());
        for text in [&stdout, &stderr] {
            assert!(!text.contains("scanning"), "{args:?}: {text}");
            assert!(
                !text.contains('\r') && !text.contains('\x1b'),
                "{args:?}: {text:?}"
            );
        }
        assert!(stdout.contains("1 finding in 41"), "{args:?}: {stdout}");
    }
}
