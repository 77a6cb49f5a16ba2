//! Servers that quote the caller's id in their error messages: what they
//! say reaches every format and command shortened, like the ids keyhound
//! shows itself, and only `--show-secrets` shows more.

use crate::cam::emulator::alibaba::AlibabaEmulator;
use crate::util::{TestEnv, fake};
use keyhound::finding::{SecretKind, redact};

#[test]
fn an_alibaba_server_echoing_the_key_id_has_it_shortened_in_every_output() {
    let em = AlibabaEmulator::start();
    em.echo_caller_id();
    let env = TestEnv::new();
    let (id, secret) = (fake("LTAI5t", 18, 71), fake("", 30, 72));
    env.write(
        "config.py",
        format!("access_key_id = '{id}'\naccess_key_secret = '{secret}'\n"),
    );
    let endpoint = format!("alibaba={}", em.url());
    let raw = env.run(&[
        "scan",
        ".",
        "--show-secrets",
        "-f",
        "json",
        "-o",
        "raw.json",
    ]);
    assert_eq!(raw.code, 1, "{}", raw.stderr);
    let scan = ["human", "json", "jsonl", "sarif"].map(|f| (&["scan", ".", "--verify"][..], f));
    let verify = ["human", "json"].map(|f| (&["verify", "--from", "raw.json"][..], f));
    for (command, format) in scan.into_iter().chain(verify) {
        {
            let args = [command, &["-f", format, "--provider-endpoint", &endpoint]].concat();
            let r = env.run(&args);
            assert!(r.code == 1 || r.code == 0, "{args:?}: {}", r.stderr);
            let all = format!("{}{}", r.stdout, r.stderr);
            assert!(!all.contains(&id), "{args:?} shows the id:\n{all}");
            assert!(!all.contains(&secret), "{args:?} shows the secret:\n{all}");
        }
    }
    // The echo did reach keyhound, shortened, through both commands.
    let shown = redact(&id, SecretKind::Identifier);
    for command in [
        &["scan", ".", "--verify"][..],
        &["verify", "--from", "raw.json"],
    ] {
        let args = [command, &["-f", "json", "--provider-endpoint", &endpoint]].concat();
        let doc = env.run(&args).json();
        let detail = doc["findings"][0]["verification"]["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            detail.contains(&format!("AccessKeyId: {shown}")),
            "{args:?}: {doc}"
        );
    }
}
