//! Tencent Cloud STS/CAM: TC3 signing, the HTTP client and the checks built
//! on them. Owned by the CAM work (issue 4).
