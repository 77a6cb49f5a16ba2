//! The recipes of docs/scale.md run here: the Kubernetes Indexed Job and the
//! GitHub Actions matrix are parsed, checked for the flags they rely on, and
//! their keyhound scripts run locally over a dozen repositories; the merged
//! report must equal the unsharded scan.

use crate::org::{dozen, scan_json};
use crate::util::TestEnv;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scale")
}

fn yaml_docs(name: &str) -> Vec<serde_yaml::Value> {
    let text = std::fs::read_to_string(examples().join(name)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect()
}

/// Runs `script` with `sh` in `dir` (`sh -c` as the manifest's command
/// says, or `sh -e -c` as GitHub runs `run` steps), the built keyhound first
/// on PATH.
fn sh(dir: &Path, script: &str, env: &[(&str, String)], errexit: bool) {
    let bin = assert_cmd::cargo::cargo_bin("keyhound");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = crate::util::scrub(&mut std::process::Command::new("sh"))
        .args(if errexit {
            &["-e", "-c"][..]
        } else {
            &["-c"][..]
        })
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json_file(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn str_of(v: &serde_yaml::Value) -> &str {
    v.as_str().expect("a string")
}

#[test]
fn scale_kubernetes_indexed_job_shards_and_merges() {
    let env = TestEnv::new();
    dozen(&env);
    let root = env.path();
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::create_dir_all(root.join("reports")).unwrap();
    std::fs::copy(root.join("repos.txt"), root.join("config/repos.txt")).unwrap();
    let docs = yaml_docs("k8s-indexed-job.yaml");
    assert_eq!(docs.len(), 2, "the scan Job and the merge Job");
    let scan = &docs[0]["spec"];
    assert_eq!(str_of(&docs[0]["kind"]), "Job");
    assert_eq!(str_of(&scan["completionMode"]), "Indexed");
    let n = scan["completions"].as_u64().unwrap();
    let container = &scan["template"]["spec"]["containers"][0];
    let script = str_of(&container["args"][0]);
    assert!(
        script.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")),
        "one shard per completion: {script}"
    );
    let local = |s: &str| {
        s.replace("/config/", &format!("{}/config/", root.display()))
            .replace("/reports/", &format!("{}/reports/", root.display()))
            .replace("/cache/", &format!("{}/cache/", root.display()))
    };
    for i in 0..n {
        sh(
            root,
            &local(script),
            &[("JOB_COMPLETION_INDEX", i.to_string())],
            false,
        );
    }
    let merge = str_of(&docs[1]["spec"]["template"]["spec"]["containers"][0]["args"][0]);
    sh(root, &local(merge), &[], false);
    let whole: Value = serde_json::from_slice(&scan_json(&env, &[])).unwrap();
    assert_eq!(json_file(&root.join("reports/org.json")), whole);
    let sarif = json_file(&root.join("reports/org.sarif"));
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 12);
}

#[test]
fn scale_github_actions_matrix_shards_and_merges() {
    let env = TestEnv::new();
    dozen(&env);
    let root = env.path();
    std::fs::create_dir_all(root.join(".github/keyhound")).unwrap();
    std::fs::copy(
        root.join("repos.txt"),
        root.join(".github/keyhound/repos.txt"),
    )
    .unwrap();
    let wf = &yaml_docs("github-matrix.yml")[0];
    let scan = &wf["jobs"]["scan"];
    let shards: Vec<u64> = scan["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(shards, (0..shards.len() as u64).collect::<Vec<_>>());
    let steps = scan["steps"].as_sequence().unwrap();
    let uses = |steps: &[serde_yaml::Value], action: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
            .cloned()
            .unwrap_or_else(|| panic!("a step using {action}"))
    };
    let keyhound_runs = |steps: &[serde_yaml::Value]| -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .filter(|r| r.contains("keyhound ") && !r.contains("cargo install"))
            .map(str::to_string)
            .collect()
    };
    let upload = uses(steps, "actions/upload-artifact");
    for &i in &shards {
        let expand = |s: &str| {
            s.replace("${{ matrix.shard }}", &i.to_string())
                .replace("${{ strategy.job-total }}", &shards.len().to_string())
        };
        for script in keyhound_runs(steps) {
            assert!(script.contains("--shard ${{ matrix.shard }}/${{ strategy.job-total }}"));
            sh(root, &expand(&script), &[], true);
        }
        let artifact = expand(str_of(&upload["with"]["path"]));
        assert!(root.join(&artifact).is_file(), "{artifact} was written");
    }
    let merge = &wf["jobs"]["merge"];
    assert_eq!(str_of(&merge["needs"]), "scan");
    let msteps = merge["steps"].as_sequence().unwrap();
    let download = uses(msteps, "actions/download-artifact");
    assert_eq!(str_of(&download["with"]["path"]), "reports");
    assert_eq!(download["with"]["merge-multiple"].as_bool(), Some(true));
    for script in keyhound_runs(msteps) {
        sh(root, &script, &[], true);
    }
    let sarif_file =
        str_of(&uses(msteps, "github/codeql-action/upload-sarif")["with"]["sarif_file"])
            .to_string();
    let sarif = json_file(&root.join(sarif_file));
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 12);
    let whole: Value = serde_json::from_slice(&scan_json(&env, &[])).unwrap();
    assert_eq!(json_file(&root.join("org.json")), whole);
}
