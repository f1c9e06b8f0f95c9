// ravel classic corpus: rust_lost_update_fixed (twin of rust_lost_update; must always pass)
//
// One guard for the read and the write: `*m.lock().unwrap() += 1;`.
use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    let m = Arc::new(Mutex::new(0u32));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                *m.lock().unwrap() += 1; // one critical section
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let count = *m.lock().unwrap();
    if count != 4 {
        eprintln!("BUG: lost an update: count {} after 4 increments", count);
        std::process::exit(1);
    }
}
