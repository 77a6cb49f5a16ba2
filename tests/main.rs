//! keyhound's integration tests: one binary, one module per area.

mod archive;
mod audit;
mod binaries;
mod cam;
mod cdnetworks;
mod decode;
mod demo;
mod forge;
mod fuzz;
mod git;
mod gitleaks;
mod hostile;
mod layers;
mod noise;
mod org;
mod precision;
mod precommit;
mod progress;
mod report;
mod rules;
mod sarif;
mod scale;
mod scan_fs;
mod snapshots;
mod tooling;
mod util;
