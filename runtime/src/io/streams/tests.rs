//! The streams over transports other than a socket pair: the constructors the subprocess
//! pipes build on.

use std::io;

use crate::io::net::unix::UnixStream;
use crate::io::streams::reader::StreamReader;
use crate::io::streams::writer::StreamWriter;
use crate::rt::runner::Runner;

#[test]
fn a_reader_and_a_writer_over_any_futures_io_byte_streams() {
    let (read, peer_addr, at_eof) = Runner::new().virtual_time().run(async {
        // Two ends of a socketpair stand in for a pipe's two ends.
        let (a, b) = UnixStream::pair().unwrap();
        let mut reader = StreamReader::from_async_read(Box::new(a));
        let mut writer = StreamWriter::from_async_write(Box::new(b));
        writer.write(b"line one\nrest");
        writer.drain().await.unwrap();
        // A pipe's end of stream is its close.
        writer.write_eof().unwrap();
        let peer_addr = writer.peer_addr().unwrap_err().kind();
        let mut read = reader.readline().await.unwrap();
        read.extend(reader.read_to_end().await.unwrap());
        writer.close();
        writer.wait_closed().await.unwrap();
        (read, peer_addr, reader.at_eof())
    });
    assert_eq!(read, b"line one\nrest");
    assert_eq!(peer_addr, io::ErrorKind::Unsupported);
    assert!(at_eof);
}

#[test]
fn a_reader_over_memory_needs_no_socket() {
    let lines = Runner::new().run(async {
        let source = futures::io::Cursor::new(b"a\nb\n\nc".to_vec());
        let mut reader = StreamReader::from_async_read(Box::new(source));
        let mut lines = Vec::new();
        loop {
            let line = reader.readline().await.unwrap();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        assert!(reader.at_eof());
        lines
    });
    assert_eq!(lines, [&b"a\n"[..], b"b\n", b"\n", b"c"]);
}

#[test]
fn the_streams_are_unpin() {
    fn unpin<T: Unpin>() {}
    unpin::<StreamReader>();
    unpin::<StreamWriter>();
}
