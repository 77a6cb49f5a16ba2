//! What a person at a terminal sees: keyhound run under tmux (a real
//! terminal; `pipe-pane` records every byte drawn, `capture-pane` reads the
//! screen after), and the same scans piped, which must carry no progress.

use crate::util::{TestEnv, fake, git};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(env: &TestEnv) -> Tmux {
        let name = env.path().file_name().unwrap().to_string_lossy();
        Tmux {
            socket: format!("keyhound-test-{name}"),
        }
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux; .ci/run does)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// What a terminal showed while `keyhound args` ran in `dir`: every byte
/// written to it, and the screen once it was done.
struct Seen {
    raw: String,
    screen: String,
}

fn on_terminal(env: &TestEnv, dir: &Path, args: &[&str]) -> Seen {
    let bin = env!("CARGO_BIN_EXE_keyhound");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "while [ ! -e go ]; do sleep 0.05; done\n\
         cd '{}' && env -i PATH=\"$PATH\" TERM=\"$TERM\" HOME='{home}' NO_COLOR=1 '{bin}' {} \n\
         echo \"exit=$?\" > '{done}.tmp' && mv '{done}.tmp' '{done}'\n\
         sleep 60\n",
        dir.display(),
        quoted.join(" "),
        home = env.path().join("home").display(),
        done = env.path().join("done").display(),
    );
    std::fs::write(env.path().join("run.sh"), script).unwrap();
    let _ = std::fs::remove_file(env.path().join("go"));
    let _ = std::fs::remove_file(env.path().join("done"));
    let _ = std::fs::remove_file(env.path().join("raw.log"));
    let t = Tmux::new(env);
    let cwd = env.path().to_str().unwrap();
    t.tmux(&[
        "new-session",
        "-d",
        "-s",
        "kh",
        "-x",
        "200",
        "-y",
        "50",
        "-c",
        cwd,
        "sh run.sh",
    ]);
    let raw_log = env.path().join("raw.log");
    t.tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        "kh",
        &format!("cat >> '{}'", raw_log.display()),
    ]);
    std::fs::write(env.path().join("go"), "").unwrap();
    let started = Instant::now();
    while !env.path().join("done").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "keyhound under tmux did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let screen = t.tmux(&["capture-pane", "-p", "-t", "kh"]).stdout;
    let raw = std::fs::read(&raw_log).unwrap_or_default();
    Seen {
        raw: String::from_utf8_lossy(&raw).into_owned(),
        screen: String::from_utf8_lossy(&screen).into_owned(),
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
        let out = crate::util::keyhound()
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
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
