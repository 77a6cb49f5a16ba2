//! State-changing calls: disabling and re-enabling leaked keys, dry run by
//! default, every action journaled. Reached only from the `disable`/`enable`
//! commands. Owned by the CAM work (issue 4).
