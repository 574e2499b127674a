//! `add_reader`, `add_writer`, `remove_reader`, `remove_writer`: level-triggered callbacks on
//! file descriptors. Each expected trace that has a Python twin is what CPython 3.11 prints
//! for it (the Python is in the comment above the test).

mod support;

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{TcpListener as StdListener, TcpStream as StdStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use corio_runtime::net::TcpStream;
use corio_runtime::{Event, Runner, get_running_loop, sleep, time};
use support::{DropCounter, log, take_trace, virtual_run};

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// ```python
/// a, b = socket.socketpair(); b.send(b"xyz")
/// loop.add_reader(a, lambda: trace.append("reader"))   # never reads
/// loop.call_later(0, lambda: trace.append("timer"))
/// for i in range(3): trace.append(f"step {i}"); await asyncio.sleep(0)
/// trace.append(f"removed {loop.remove_reader(a)}")
/// for i in range(2): await asyncio.sleep(0)
/// trace.append(f"again {loop.remove_reader(a)}")
/// # ['step 0', 'step 1', 'reader', 'timer', 'step 2', 'reader', 'removed True', 'again False']
/// ```
#[test]
fn a_reader_runs_every_pass_while_data_is_unread_until_removed() {
    virtual_run(async {
        let lp = get_running_loop();
        let (a, mut b) = pair();
        b.write_all(b"xyz").unwrap();
        lp.add_reader(a.as_raw_fd(), || log("reader")).unwrap();
        let _ = lp.call_later(0, || log("timer"));
        for i in 0..3 {
            log(format!("step {i}"));
            sleep(0).await;
        }
        log(format!("removed {}", lp.remove_reader(a.as_raw_fd())));
        for _ in 0..2 {
            sleep(0).await;
        }
        log(format!("again {}", lp.remove_reader(a.as_raw_fd())));
    });
    assert_eq!(
        take_trace(),
        [
            "step 0",
            "step 1",
            "reader",
            "timer",
            "step 2",
            "reader",
            "removed true",
            "again false"
        ]
    );
}

#[test]
fn a_reader_that_drains_runs_once_per_arrival() {
    let got = virtual_run(async {
        let lp = get_running_loop();
        let (a, mut b) = pair();
        let read = Rc::new(std::cell::RefCell::new(Vec::new()));
        let (sink, reader) = (read.clone(), a.try_clone().unwrap());
        lp.add_reader(a.as_raw_fd(), move || {
            let mut buf = [0u8; 16];
            let n = (&reader).read(&mut buf).unwrap();
            sink.borrow_mut().push(buf[..n].to_vec());
        })
        .unwrap();
        for chunk in [&b"one"[..], b"two"] {
            b.write_all(chunk).unwrap();
            for _ in 0..3 {
                sleep(0).await;
            }
        }
        assert!(lp.remove_reader(a.as_raw_fd()));
        read.take()
    });
    assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
}

/// ```python
/// def w():
///     t.append("w")
///     if len(t) == 3: t.append(loop.remove_writer(a))
/// loop.add_writer(a, w)
/// for i in range(5): await asyncio.sleep(0)
/// # ['w', 'w', 'w', True]
/// ```
#[test]
fn a_writer_runs_while_the_fd_is_writable_and_may_remove_itself() {
    virtual_run(async {
        let lp = get_running_loop();
        let (a, _b) = pair();
        let fd = a.as_raw_fd();
        let (count, inner) = (Rc::new(Cell::new(0)), lp.clone());
        let c = count.clone();
        lp.add_writer(fd, move || {
            log("w");
            c.set(c.get() + 1);
            if c.get() == 3 {
                log(format!("{}", inner.remove_writer(fd)));
            }
        })
        .unwrap();
        for _ in 0..5 {
            sleep(0).await;
        }
        assert_eq!(count.get(), 3);
        assert!(!lp.remove_writer(fd));
    });
    assert_eq!(take_trace(), ["w", "w", "w", "true"]);
}

#[test]
fn adding_again_replaces_the_callback_and_drops_the_old_one() {
    let drops = DropCounter::default();
    virtual_run({
        let drops = drops.clone();
        async move {
            let lp = get_running_loop();
            let (a, mut b) = pair();
            b.write_all(b"x").unwrap();
            let token = drops.token();
            lp.add_reader(a.as_raw_fd(), move || {
                let _ = &token;
                log("first");
            })
            .unwrap();
            lp.add_reader(a.as_raw_fd(), || log("second")).unwrap();
            assert_eq!(drops.count(), 1, "the replaced callback is dropped at once");
            sleep(0).await;
            sleep(0).await;
            assert!(lp.remove_reader(a.as_raw_fd()));
        }
    });
    assert_eq!(take_trace(), ["second"]);
}

/// ```python
/// b.send(b"x"); loop.add_reader(a, lambda: t.append("r")); loop.add_writer(a, lambda: t.append("w"))
/// await asyncio.sleep(0); await asyncio.sleep(0); t.append("-"); loop.remove_reader(a)
/// await asyncio.sleep(0); await asyncio.sleep(0); t.append("-"); loop.remove_writer(a)
/// await asyncio.sleep(0)
/// # ['r', 'w', '-', 'w', 'w', '-']
/// ```
#[test]
fn a_reader_and_a_writer_share_an_fd_and_go_separately() {
    virtual_run(async {
        let lp = get_running_loop();
        let (a, mut b) = pair();
        b.write_all(b"x").unwrap();
        lp.add_reader(a.as_raw_fd(), || log("r")).unwrap();
        lp.add_writer(a.as_raw_fd(), || log("w")).unwrap();
        sleep(0).await;
        sleep(0).await;
        log("-");
        assert!(lp.remove_reader(a.as_raw_fd()));
        sleep(0).await;
        sleep(0).await;
        log("-");
        assert!(lp.remove_writer(a.as_raw_fd()));
        assert!(!lp.remove_reader(a.as_raw_fd()));
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["r", "w", "-", "w", "w", "-"]);
}

#[test]
fn a_panicking_callback_neither_kills_the_loop_nor_loses_its_registration() {
    let runs = virtual_run(async {
        let lp = get_running_loop();
        let (a, mut b) = pair();
        b.write_all(b"x").unwrap();
        let runs = Rc::new(Cell::new(0));
        let r = runs.clone();
        lp.add_reader(a.as_raw_fd(), move || {
            r.set(r.get() + 1);
            panic!("reader failed");
        })
        .unwrap();
        for _ in 0..4 {
            sleep(0).await;
        }
        assert!(lp.remove_reader(a.as_raw_fd()));
        runs.get()
    });
    assert_eq!(runs, 3);
}

#[test]
fn the_loop_end_removes_callbacks_and_leaves_the_fd_open() {
    let drops = DropCounter::default();
    let (a, mut b) = pair();
    virtual_run({
        let (drops, fd) = (drops.clone(), a.as_raw_fd());
        async move {
            let lp = get_running_loop();
            let token = drops.token();
            lp.add_reader(fd, move || {
                let _ = &token;
            })
            .unwrap();
            sleep(0).await;
        }
    });
    assert_eq!(drops.count(), 1);
    b.write_all(b"still open").unwrap();
    let mut buf = [0u8; 16];
    let n = (&a).read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still open");
    // And another loop may watch it.
    let got = virtual_run(async move {
        let lp = get_running_loop();
        b.write_all(b"!").unwrap();
        let event = Event::new();
        let set = event.clone();
        lp.add_reader(a.as_raw_fd(), move || set.set()).unwrap();
        event.wait().await;
        lp.remove_reader(a.as_raw_fd())
    });
    assert!(got);
}

#[test]
fn a_reader_wakes_a_loop_blocked_in_the_selector() {
    // Real clock: the loop sleeps in the selector until the other thread writes.
    let (a, b) = pair();
    let got = corio_runtime::run(async move {
        let lp = get_running_loop();
        let event = Event::new();
        let set = event.clone();
        let mut reader = a.try_clone().unwrap();
        lp.add_reader(a.as_raw_fd(), move || {
            let mut buf = [0u8; 16];
            if let Ok(n) = reader.read(&mut buf) {
                log(String::from_utf8_lossy(&buf[..n]).into_owned());
                set.set();
            }
        })
        .unwrap();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            (&b).write_all(b"from a thread").unwrap();
        });
        event.wait().await;
        writer.join().unwrap();
        lp.remove_reader(a.as_raw_fd())
    });
    assert!(got);
    assert_eq!(take_trace(), ["from a thread"]);
}

#[test]
fn under_virtual_time_a_reader_is_waited_for_and_takes_no_time() {
    let (a, b) = pair();
    let at = Runner::new().virtual_time().run(async move {
        let lp = get_running_loop();
        let event = Event::new();
        let set = event.clone();
        lp.add_reader(a.as_raw_fd(), move || set.set()).unwrap();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            (&b).write_all(b"x").unwrap();
        });
        // No timer armed, no task ready: the loop blocks in the selector for the reader
        // instead of reporting a deadlock.
        event.wait().await;
        writer.join().unwrap();
        lp.remove_reader(a.as_raw_fd());
        time()
    });
    assert_eq!(at, 0.0);
}

#[test]
fn fds_that_cannot_be_watched_are_errors() {
    virtual_run(async {
        let lp = get_running_loop();
        let error = lp.add_reader(-1, || {}).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(error.to_string(), "invalid file descriptor: -1");
        // A regular file is always ready: epoll refuses it (asyncio's selector too).
        let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        assert_eq!(
            lp.add_reader(file.as_raw_fd(), || {})
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EPERM)
        );
        assert!(!lp.remove_reader(file.as_raw_fd()));
        // A socket corio already watches for its tasks (asyncio: "used by transport").
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        let stream =
            TcpStream::from_std(StdStream::connect(listener.local_addr().unwrap()).unwrap())
                .unwrap();
        let error = lp
            .add_writer(stream.as_fd().as_raw_fd(), || {})
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert!(!lp.remove_writer(stream.as_fd().as_raw_fd()));
    });
}

#[test]
fn adding_from_another_thread_panics() {
    let message = virtual_run(async {
        let lp = get_running_loop();
        let (a, _b) = pair();
        let fd = a.as_raw_fd();
        let payload = thread::spawn(move || lp.add_reader(fd, || {}))
            .join()
            .unwrap_err();
        payload.downcast::<String>().unwrap()
    });
    assert!(
        message.contains("EventLoop::add_reader(): Non-thread-safe operation"),
        "{message}"
    );
}
