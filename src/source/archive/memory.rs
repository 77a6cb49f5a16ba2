//! The memory budget all archive expansions of one scan share: bytes an
//! expansion holds at once (the outer archive's own bytes, the member and
//! nested-archive buffers of every level) are reserved from one pool before
//! they are allocated, and given back when freed.
//!
//! Deadlock is avoided the banker's way: every outer archive may come to
//! hold at most `claim` bytes (a limit on the archive alone, so what it
//! skips for it does not depend on the thread count), and a reservation is
//! granted only if, afterwards, the archive holding the most could still
//! reach its claim from what is left. That archive can then always go on,
//! so some archive always finishes and frees its bytes; the others wait.
//! Nested archives reserve while their parents hold theirs: they are the
//! same holder, so this costs no extra care.

use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// A shared, lazily sized pool: every clone of one [`super::Limits`] uses
/// the same one, sized from the limits in force at its first use.
#[derive(Clone, Default)]
pub struct Memory(Arc<OnceLock<Pool>>);

impl Memory {
    /// The pool, created with `total` bytes for archives that hold at most
    /// `claim` bytes each on first use.
    pub(super) fn pool(&self, total: u64, claim: u64) -> &Pool {
        self.0.get_or_init(|| Pool::new(total, claim))
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get() {
            Some(p) => write!(f, "Memory({} of {})", p.available(), p.total),
            None => f.write_str("Memory(unused)"),
        }
    }
}

/// The budget is state shared by a scan, not configuration: any two are
/// equal.
impl PartialEq for Memory {
    fn eq(&self, _: &Memory) -> bool {
        true
    }
}

impl Eq for Memory {}

/// A pool of bytes for archive expansion.
pub struct Pool {
    total: u64,
    claim: u64,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    available: u64,
    /// (holder id, bytes held) of every holder holding something.
    held: Vec<(u64, u64)>,
    next_id: u64,
}

/// Asked for more than one archive may hold: the caller skips what needed
/// it (and says so).
#[derive(Debug, PartialEq, Eq)]
pub struct OverClaim;

impl Pool {
    /// `total` bytes shared by archives holding at most `claim` each
    /// (`claim` is lowered to `total`).
    pub fn new(total: u64, claim: u64) -> Pool {
        Pool {
            total,
            claim: claim.min(total),
            state: Mutex::new(State {
                available: total,
                ..State::default()
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes not reserved right now.
    pub fn available(&self) -> u64 {
        self.lock().available
    }

    /// Bytes one archive may hold at once.
    pub fn claim(&self) -> u64 {
        self.claim
    }

    /// A holder for one outer archive (and everything nested in it).
    pub fn holder(&self) -> Holder<'_> {
        let mut s = self.lock();
        s.next_id += 1;
        Holder {
            pool: self,
            id: s.next_id,
            held: std::cell::Cell::new(0),
        }
    }

    /// Whether giving `n` more bytes to a holder now holding `mine` leaves
    /// a state from which the largest holder can still reach its claim.
    fn safe(&self, s: &State, mine: u64, n: u64) -> bool {
        if n > s.available {
            return false;
        }
        let largest = s.held.iter().map(|&(_, h)| h).max().unwrap_or(0);
        let largest = largest.max(mine + n);
        s.available - n + largest >= self.claim
    }
}

/// One outer archive's share of a [`Pool`]; gives everything back when
/// dropped.
pub struct Holder<'p> {
    pool: &'p Pool,
    id: u64,
    held: std::cell::Cell<u64>,
}

impl Holder<'_> {
    /// Bytes held.
    pub fn held(&self) -> u64 {
        self.held.get()
    }

    /// Reserves `n` more bytes, waiting while granting them would be
    /// unsafe; refused at once when this archive would hold more than its
    /// claim.
    pub fn reserve(&self, n: u64) -> Result<(), OverClaim> {
        let mine = self.held.get();
        if n == 0 {
            return Ok(());
        }
        if mine.saturating_add(n) > self.pool.claim {
            return Err(OverClaim);
        }
        let mut s = self.pool.lock();
        while !self.pool.safe(&s, mine, n) {
            s = self.pool.freed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        s.available -= n;
        match s.held.iter_mut().find(|(id, _)| *id == self.id) {
            Some(e) => e.1 += n,
            None => s.held.push((self.id, n)),
        }
        self.held.set(mine + n);
        Ok(())
    }

    /// Gives `n` bytes back (at most what is held).
    pub fn release(&self, n: u64) {
        let n = n.min(self.held.get());
        if n == 0 {
            return;
        }
        let mut s = self.pool.lock();
        s.available += n;
        if let Some(i) = s.held.iter().position(|(id, _)| *id == self.id) {
            s.held[i].1 -= n;
            if s.held[i].1 == 0 {
                s.held.swap_remove(i);
            }
        }
        self.held.set(self.held.get() - n);
        drop(s);
        self.pool.freed.notify_all();
    }
}

impl Drop for Holder<'_> {
    fn drop(&mut self) {
        self.release(self.held.get());
    }
}

/// A buffer whose capacity is reserved from a [`Holder`]: grown in steps,
/// each reserved before it is allocated, all given back when dropped.
pub struct Leased<'h, 'p> {
    holder: &'h Holder<'p>,
    buf: Vec<u8>,
    reserved: u64,
}

/// How filling a [`Leased`] buffer ended.
#[derive(Debug)]
pub enum Fill {
    /// The reader ended; the buffer holds all of it.
    Whole,
    /// The reader had more than the limit (the buffer holds one byte past it).
    TooLarge,
    /// The archive would hold more than its claim.
    OverClaim,
}

impl<'h, 'p> Leased<'h, 'p> {
    /// An empty buffer charged to `holder`.
    pub fn new(holder: &'h Holder<'p>) -> Leased<'h, 'p> {
        Leased {
            holder,
            buf: Vec::new(),
            reserved: 0,
        }
    }

    /// The bytes read.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Makes room for `cap` bytes in all, reserving the growth first.
    fn grow_to(&mut self, cap: u64) -> Result<(), OverClaim> {
        if cap > self.reserved {
            self.holder.reserve(cap - self.reserved)?;
            self.reserved = cap;
        }
        let want = cap as usize;
        if self.buf.capacity() < want {
            self.buf.reserve_exact(want - self.buf.len());
        }
        Ok(())
    }

    /// Replaces the content with what `r` yields, up to `limit` bytes and
    /// one more (to tell a reader with more apart); `hint` (a declared
    /// size, which may lie) sizes the first step.
    pub fn fill(
        &mut self,
        r: &mut dyn std::io::Read,
        limit: u64,
        hint: u64,
    ) -> std::io::Result<Fill> {
        use std::io::Read;
        const STEP: u64 = 64 * 1024;
        self.buf.clear();
        let end = limit.saturating_add(1);
        let mut cap = hint.saturating_add(1).clamp(STEP.min(end), end);
        loop {
            if self.grow_to(cap).is_err() {
                self.buf.clear();
                return Ok(Fill::OverClaim);
            }
            let room = cap - self.buf.len() as u64;
            let got = r.take(room).read_to_end(&mut self.buf)? as u64;
            if (self.buf.len() as u64) > limit {
                return Ok(Fill::TooLarge);
            }
            if got < room {
                return Ok(Fill::Whole);
            }
            cap = cap.saturating_mul(2).max(STEP).min(end);
        }
    }
}

impl Drop for Leased<'_, '_> {
    fn drop(&mut self) {
        self.holder.release(self.reserved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_holder_can_always_reach_its_claim() {
        let pool = Pool::new(150, 100);
        let (a, b) = (pool.holder(), pool.holder());
        a.reserve(60).unwrap();
        // B may take what leaves A able to reach 100: 150 - 60 - n + 60 >= 100.
        b.reserve(50).unwrap();
        assert!(!pool.safe(&pool.lock(), b.held(), 1), "a would be stuck");
        // A, the largest, goes on.
        a.reserve(40).unwrap();
        assert_eq!(a.reserve(1), Err(OverClaim));
        drop(a);
        b.reserve(50).unwrap();
        assert_eq!(pool.available(), 50);
        drop(b);
        assert_eq!(pool.available(), 150);
    }

    #[test]
    fn waiting_holders_go_on_when_others_finish() {
        let pool = Pool::new(300, 200);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let h = pool.holder();
                        for _ in 0..4 {
                            h.reserve(45).unwrap();
                            assert!(pool.available() <= 300);
                        }
                    }
                });
            }
        });
        assert_eq!(pool.available(), 300);
    }

    #[test]
    fn leased_buffers_read_within_a_limit_and_give_their_bytes_back() {
        let pool = Pool::new(1 << 20, 1 << 20);
        let h = pool.holder();
        {
            let mut b = Leased::new(&h);
            let data = vec![7u8; 200_000];
            assert!(matches!(
                b.fill(&mut data.as_slice(), 300_000, 10).unwrap(),
                Fill::Whole
            ));
            assert_eq!(b.bytes().len(), 200_000);
            assert!(h.held() >= 200_000 && h.held() <= 300_001);
            assert!(matches!(
                b.fill(&mut data.as_slice(), 1000, 200_000).unwrap(),
                Fill::TooLarge
            ));
            let mut big = Leased::new(&h);
            let huge = vec![0u8; 900_000];
            assert!(matches!(
                big.fill(&mut huge.as_slice(), 2 << 20, 0).unwrap(),
                Fill::OverClaim
            ));
        }
        assert_eq!(h.held(), 0);
        assert_eq!(pool.available(), 1 << 20);
    }
}
