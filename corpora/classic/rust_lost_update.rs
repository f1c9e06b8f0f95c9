// ravel classic corpus: rust_lost_update (bug class: atomicity-sync, granularity: atomic)
//
// Four std::threads increment a counter in a std::sync::Mutex as
// `let v = *m.lock().unwrap(); *m.lock().unwrap() = v + 1;`: the first guard is a
// temporary dropped at the end of its statement, so the read and the write are two
// critical sections. Rust's std Mutex is not pthread: it is a futex word with an atomic
// fast path (lock: a lock cmpxchg, unlock: an xchg), and uncontended it makes no
// syscall, so neither syscall nor sync granularity has a point in the window. Only the
// atomic instructions of the executable (std is linked in statically) split it:
// atomic granularity.
//
// Triggering interleaving (atomic granularity): thread 1 reads 0 and is preempted at
// the unlock xchg (or the next lock's cmpxchg); thread 2 runs its whole increment
// (count 1); thread 1 writes 0 + 1. Final count below 4.
// Fixed twin: rust_lost_update_fixed.rs.
use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    let m = Arc::new(Mutex::new(0u32));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                let v = *m.lock().unwrap(); // guard dropped here: unlocked
                *m.lock().unwrap() = v + 1; // locked again: not one critical section
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let count = *m.lock().unwrap();
    if count != 4 {
        eprintln!("BUG: lost an update: count {} after 4 increments, read and write were separate critical sections", count);
        std::process::exit(1);
    }
}
