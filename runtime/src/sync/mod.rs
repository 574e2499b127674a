//! Synchronization primitives, as asyncio's `locks.py` and `queues.py`: one FIFO wait list
//! under each. None of them imports the loop: they run on any single-threaded executor.

pub(crate) mod barrier;
pub(crate) mod condition;
pub(crate) mod event;
pub(crate) mod locks;
pub(crate) mod queue_errors;
pub(crate) mod queues;
pub(crate) mod semaphore;
pub(crate) mod wait_list;
