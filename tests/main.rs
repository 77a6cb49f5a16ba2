//! keyhound's integration tests: one binary, one module per area.

mod archive;
mod cam;
mod demo;
mod git;
mod hostile;
mod noise;
mod report;
mod rules;
mod scan_fs;
mod util;
