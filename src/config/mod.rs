//! Noise control: the `.keyhound.toml` config, inline `keyhound:allow`, the
//! `.keyhoundignore` file, baselines and gitleaks config import. Owned by the
//! noise-control work (issue 5).
