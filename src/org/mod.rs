//! Scans of a whole organisation: the repository list and its shards
//! ([`list`]), the clone cache ([`clone`]), many repositories scanned in one
//! run ([`scan`]), reports of many runs merged into one ([`merge`]), and
//! an organisation's repositories listed through its forge's API
//! ([`forge`]). Cloning (through `git`) and `forge` are the places here
//! that reach the network.

pub mod clone;
pub mod forge;
pub mod list;
pub mod merge;
pub mod scan;
