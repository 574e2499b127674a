//! Sockets on the loop: TCP, UDP and Unix streams, and name resolution.

pub(crate) mod resolve;
pub(crate) mod tcp;
pub(crate) mod udp;
