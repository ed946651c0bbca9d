//! `parallel`: one function over contiguous parts of a slice, a thread each. The plan compares
//! its copies with the tree this way, and apply stages its writes (the trace has its own
//! workers, which take files from a shared queue as they are found).

/// `work` over contiguous parts of `items`, each part on a thread of its own: a part per core,
/// at most `max_threads`, and none smaller than `min_part` (below that, starting a thread costs
/// more than it saves; a single part runs on the calling thread). The results come back in the
/// order of the parts. A part whose thread could not start, or panicked, is worked on again on
/// the calling thread.
pub(crate) fn by_parts<'a, T: Sync, R: Send>(
    items: &'a [T],
    max_threads: usize,
    min_part: usize,
    work: impl Fn(&'a [T]) -> R + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(max_threads).max(1);
    let size = items.len().div_ceil(threads).max(min_part.max(1));
    if items.len() <= size {
        return vec![work(items)];
    }
    let work = &work;
    std::thread::scope(|scope| {
        let running: Vec<_> = items
            .chunks(size)
            .map(|part| {
                let handle = std::thread::Builder::new()
                    .spawn_scoped(scope, move || work(part))
                    .ok();
                (part, handle)
            })
            .collect();
        running
            .into_iter()
            .map(|(part, handle)| {
                handle
                    .and_then(|h| h.join().ok())
                    .unwrap_or_else(|| work(part))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::by_parts;

    #[test]
    fn parts_come_back_in_order_and_cover_every_item() {
        let items: Vec<usize> = (0..1000).collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for (threads, min_part) in [(1, 1), (2, 64), (3, 1), (8, 100), (2, 5000), (2, 999)] {
            let parts = by_parts(&items, threads, min_part, |part| part.to_vec());
            assert_eq!(
                parts.concat(),
                items,
                "{threads} threads, parts of {min_part}+"
            );
            assert!(parts.len() <= threads.min(cores).max(1));
            // Every part but the last has at least `min_part` items (the last has the rest).
            let (_, full) = parts.split_last().unwrap();
            assert!(
                full.iter().all(|p| p.len() >= min_part),
                "{threads}, {min_part}"
            );
        }
        assert_eq!(by_parts(&[] as &[u8], 2, 1, |p| p.len()), vec![0]);
    }

    #[test]
    fn a_part_that_panics_on_its_thread_is_worked_again_here() {
        let main = std::thread::current().id();
        let items: Vec<u32> = (0..10).collect();
        let parts = by_parts(&items, 2, 1, |part| {
            // The second part fails on its own thread, and succeeds on the caller's.
            if part[0] == 5 && std::thread::current().id() != main {
                panic!("part failed");
            }
            part.iter().sum::<u32>()
        });
        // One core: one part, on the calling thread.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let expected = if cores >= 2 { vec![10, 35] } else { vec![45] };
        assert_eq!(parts, expected);
    }
}
