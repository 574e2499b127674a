//! [`Server`], asyncio's `Server` from `start_server` / `start_unix_server`: listening
//! sockets, one task accepting on all of them, a task per connection running the callback,
//! and the count of open connections that `wait_closed` waits on (asyncio 3.12+).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::net::resolve::getaddrinfo;
use crate::io::net::tcp::TcpListener;
use crate::io::net::unix::UnixListener;
use crate::io::streams::reader::StreamReader;
use crate::io::streams::transport::{SocketStream, socket_streams};
use crate::io::streams::writer::StreamWriter;
use crate::sync::event::Event;
use crate::task::handle::{Task, create_task};
use crate::time::sleep::sleep;

/// asyncio's `ACCEPT_RETRY_DELAY`: after an accept error such as running out of file
/// descriptors, the server waits this long (seconds) before accepting again.
const ACCEPT_RETRY_DELAY: u64 = 1;

/// A listening socket of a server.
#[derive(Debug)]
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketStream>> {
        match self {
            Listener::Tcp(listener) => listener
                .poll_accept(cx)
                .map_ok(|(stream, _)| SocketStream::Tcp(stream)),
            Listener::Unix(listener) => listener
                .poll_accept(cx)
                .map_ok(|(stream, _)| SocketStream::Unix(stream)),
        }
    }
}

/// The socket file a Unix server made, removed when it closes if it is still that file
/// (asyncio 3.13's `cleanup_socket`).
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    fn remove(&self) {
        let same = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|meta| (meta.dev(), meta.ino()) == (self.dev, self.ino));
        if same {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

struct ServerState {
    listeners: RefCell<Vec<Listener>>,
    /// Which listener is tried first next time, so a busy one does not starve the others.
    next: Cell<usize>,
    accepting: RefCell<Option<Task<()>>>,
    serving: Cell<bool>,
    /// Connections accepted and not yet closed.
    active: Cell<usize>,
    /// Set by `close`: `serve_forever` returns.
    closed: Event,
    /// Set once closed with no connection open: `wait_closed` returns.
    idle: Event,
    socket_file: Option<SocketFile>,
}

impl ServerState {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketStream>> {
        let listeners = self.listeners.borrow();
        let n = listeners.len();
        let first = self.next.get();
        for i in 0..n {
            let at = (first + i) % n;
            if let Poll::Ready(accepted) = listeners[at].poll_accept(cx) {
                self.next.set((at + 1) % n);
                return Poll::Ready(accepted);
            }
        }
        Poll::Pending
    }

    fn close(&self) {
        if !self.serving.replace(false) {
            return;
        }
        // Dropped outside the borrows: deregistering may drop the accept task's waker.
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
        let accepting = self.accepting.borrow_mut().take();
        if let Some(task) = accepting {
            task.cancel();
        }
        if let Some(file) = &self.socket_file {
            file.remove();
        }
        self.closed.set();
        if self.active.get() == 0 {
            self.idle.set();
        }
    }
}

/// Counts one accepted connection as open while it lives (inside the connection's shared
/// socket, released by the writer's `close` or when reader and writer are both dropped).
pub(crate) struct ConnectionGuard(Rc<ServerState>);

impl ConnectionGuard {
    fn new(state: &Rc<ServerState>) -> Self {
        state.active.set(state.active.get() + 1);
        ConnectionGuard(state.clone())
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let state = &self.0;
        state.active.set(state.active.get() - 1);
        if state.active.get() == 0 && !state.serving.get() {
            state.idle.set();
        }
    }
}

impl fmt::Debug for ConnectionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionGuard").finish_non_exhaustive()
    }
}

/// A server from [`start_server`] or [`start_unix_server`], as asyncio's `Server`: accepting
/// from the moment it is returned (asyncio's `start_serving=True`), each connection handled
/// by its own task running the callback.
///
/// Dropping the server [`close`](Server::close)s it (asyncio's `async with server:`): keep
/// it, or await [`serve_forever`](Server::serve_forever), for as long as it should accept.
/// Connections already accepted go on either way.
///
/// A connection counts as open until its writer's [`close`](StreamWriter::close) completed
/// or both its reader and writer are dropped (the callback's task ending drops them unless
/// it handed them on).
#[must_use = "a Server stops accepting when dropped"]
pub struct Server {
    state: Rc<ServerState>,
}

impl Server {
    fn start<F, Fut>(
        listeners: Vec<Listener>,
        socket_file: Option<SocketFile>,
        client_connected: F,
    ) -> Server
    where
        F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let state = Rc::new(ServerState {
            listeners: RefCell::new(listeners),
            next: Cell::new(0),
            accepting: RefCell::new(None),
            serving: Cell::new(true),
            active: Cell::new(0),
            closed: Event::new(),
            idle: Event::new(),
            socket_file,
        });
        let task = create_task(accept_loop(state.clone(), client_connected));
        *state.accepting.borrow_mut() = Some(task);
        Server { state }
    }

    /// The addresses it listens on (asyncio's `[s.getsockname() for s in server.sockets]`),
    /// with the real port where port 0 was asked for. Empty for a Unix server, and once
    /// closed (asyncio's `sockets` is empty then too).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.state
            .listeners
            .borrow()
            .iter()
            .filter_map(|listener| match listener {
                Listener::Tcp(listener) => listener.local_addr().ok(),
                Listener::Unix(_) => None,
            })
            .collect()
    }

    /// Whether it accepts connections: from the start until [`close`](Server::close).
    pub fn is_serving(&self) -> bool {
        self.state.serving.get()
    }

    /// Stops accepting and closes the listening sockets (asyncio's `close`); connections
    /// already accepted go on. A Unix server removes its socket file (if it is still the one
    /// it made), as asyncio 3.13 does. Closing again does nothing.
    pub fn close(&self) {
        self.state.close();
    }

    /// Waits until the server is closed and every connection it accepted has closed
    /// (asyncio 3.12+'s `wait_closed`). Before [`close`](Server::close) it waits for that
    /// too.
    pub async fn wait_closed(&self) {
        self.state.idle.wait().await;
    }

    /// Waits until the server is closed (asyncio's `serve_forever`, which returns, raising
    /// `CancelledError`, when `close` is called). Dropping the future (a cancelled task, a
    /// timeout) closes the server, as cancelling asyncio's does. Returns at once on a closed
    /// server.
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a>(&'a ServerState);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let guard = CloseOnDrop(&self.state);
        self.state.closed.wait().await;
        drop(guard);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs())
            .field("serving", &self.is_serving())
            .field("connections", &self.state.active.get())
            .finish()
    }
}

async fn accept_loop<F, Fut>(state: Rc<ServerState>, mut client_connected: F)
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    loop {
        match poll_fn(|cx| state.poll_accept(cx)).await {
            Ok(socket) => {
                let (reader, writer) = socket_streams(socket, Some(ConnectionGuard::new(&state)));
                create_task(client_connected(reader, writer)).detach();
            }
            // The client gave up before it was accepted: nothing to serve.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                ) => {}
            // Out of file descriptors or memory: asyncio waits, then accepts again.
            Err(_) => sleep(ACCEPT_RETRY_DELAY).await,
        }
    }
}

/// Listens on `host`:`port` and serves each connection with `client_connected(reader,
/// writer)` in a task of its own (asyncio's `start_server`).
///
/// `host` resolves through [`getaddrinfo`](crate::getaddrinfo) and the server listens on
/// every address it gives (`"localhost"` may be both `127.0.0.1` and `::1`), as asyncio's
/// does; `""` listens on every interface (`0.0.0.0` and, where the system has IPv6, `::`).
/// Port 0 picks an ephemeral port per socket: [`Server::local_addrs`] says which.
/// `SO_REUSEADDR` is set, as asyncio sets it on Unix.
///
/// ```
/// use corio_runtime::{Runner, open_connection, start_server, time};
///
/// let (reply, at) = Runner::new().virtual_time().run(async {
///     let server = start_server(
///         |mut reader, mut writer| async move {
///             let line = reader.readline().await.unwrap();
///             writer.write(&line.to_ascii_uppercase());
///             writer.close();
///             writer.wait_closed().await.unwrap();
///         },
///         "127.0.0.1",
///         0,
///     )
///     .await
///     .unwrap();
///     let port = server.local_addrs()[0].port();
///
///     corio_runtime::sleep(1.5).await; // timers jump; I/O takes no virtual time
///     let (mut reader, mut writer) = open_connection("127.0.0.1", port).await.unwrap();
///     writer.write(b"hello\n");
///     let reply = reader.read_to_end().await.unwrap();
///     writer.close();
///     server.close();
///     server.wait_closed().await;
///     (reply, time())
/// });
/// assert_eq!(reply, b"HELLO\n");
/// assert_eq!(at, 1.5);
/// ```
///
/// # Errors
///
/// The resolver's, or the first bind error (`AddrInUse`, ...).
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn start_server<F, Fut>(client_connected: F, host: &str, port: u16) -> io::Result<Server>
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let mut listeners = Vec::new();
    if host.is_empty() {
        listeners.push(Listener::Tcp(
            TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)).await?,
        ));
        // Best effort: a system without IPv6 still serves on IPv4.
        if let Ok(listener) = TcpListener::bind((IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)).await {
            listeners.push(Listener::Tcp(listener));
        }
    } else {
        let mut addrs = getaddrinfo(host, port).await?;
        let mut seen = Vec::new();
        addrs.retain(|addr| {
            let new = !seen.contains(addr);
            seen.push(*addr);
            new
        });
        for addr in addrs {
            match TcpListener::bind(addr).await {
                Ok(listener) => listeners.push(Listener::Tcp(listener)),
                // No such address family here: asyncio skips it too.
                Err(error) if error.raw_os_error() == Some(libc::EAFNOSUPPORT) => {}
                Err(error) => return Err(error),
            }
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("no address to listen on for {host:?}"),
            ));
        }
    }
    Ok(Server::start(listeners, None, client_connected))
}

/// Listens on the Unix-domain socket `path` and serves each connection with
/// `client_connected(reader, writer)` in a task of its own (asyncio's `start_unix_server`).
///
/// A socket file already at `path` is removed first, as asyncio does (any other kind of
/// file is an `AddrInUse` error); closing the server removes the file it made. Its
/// [`local_addrs`](Server::local_addrs) is empty.
///
/// # Errors
///
/// The bind's (`AddrInUse`, a path too long, a missing directory).
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run).
pub async fn start_unix_server<F, Fut>(
    client_connected: F,
    path: impl AsRef<Path>,
) -> io::Result<Server>
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let path = path.as_ref();
    let stale = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket());
    if stale {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    let meta = std::fs::symlink_metadata(path)?;
    let file = SocketFile {
        path: path.to_owned(),
        dev: meta.dev(),
        ino: meta.ino(),
    };
    Ok(Server::start(
        vec![Listener::Unix(listener)],
        Some(file),
        client_connected,
    ))
}
