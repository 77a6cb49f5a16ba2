//! keyhound's integration tests: one binary, one module per area.

mod cam;
mod demo;
mod git;
mod noise;
mod report;
mod rules;
mod sarif;
mod scan_fs;
mod util;
