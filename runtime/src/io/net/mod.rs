//! Sockets on the loop: TCP, UDP and Unix streams, and name resolution.

/// futures-io's `AsyncRead` and `AsyncWrite` for a socket stream type and for `&` it, from
/// its `poll_read_priv` / `poll_write_priv` / `poll_write_vectored_priv` / `shutdown`: one
/// definition, so TCP and Unix streams behave alike (flush is a no-op, a write is in the
/// kernel when it returns; close shuts the writing half down).
macro_rules! async_io_impls {
    ($($t:ty),*) => {$(
        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                // Nothing is buffered here: a write is in the kernel when it returns.
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    )*};
}

pub(crate) use async_io_impls;

pub(crate) mod resolve;
pub(crate) mod tcp;
pub(crate) mod udp;
pub(crate) mod unix;
