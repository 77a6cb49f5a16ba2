//! Scans of a whole organisation: the repository list and its shards
//! ([`list`]), the clone cache ([`clone`]), many repositories scanned in one
//! run ([`scan`]), and reports of many runs merged into one ([`merge`]).
//! Cloning is the one place here that reaches the network, through `git`.

pub mod clone;
pub mod list;
pub mod merge;
pub mod scan;
