//! The byte buffer under both stream halves: bytes appended at the back, consumed from the
//! front, without shifting on every consume (asyncio's `bytearray` with `del buf[:n]` is
//! O(n) per call; this is amortised O(1)).

use std::fmt;

/// Bytes `start..end` of `bytes` are held; `bytes` beyond `end` is zeroed spare room that a
/// read fills in place, so reading into it never re-zeroes memory.
pub(crate) struct Buffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl Buffer {
    pub(crate) const fn new() -> Self {
        Buffer {
            bytes: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// The bytes held.
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether no memory was ever taken (nothing was ever held or asked room for).
    pub(crate) fn is_unallocated(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Drops the first `n` bytes held.
    pub(crate) fn consume(&mut self, n: usize) {
        assert!(n <= self.len(), "consumed past the end of the buffer");
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Removes and returns the first `n` bytes held.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.data()[..n].to_vec();
        self.consume(n);
        out
    }

    /// Removes and returns everything held.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.take(self.len())
    }

    /// Empties the buffer.
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Appends `data`.
    pub(crate) fn extend(&mut self, data: &[u8]) {
        self.spare(data.len())[..data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// At least `min` bytes of spare room after the data, to read into; then
    /// [`filled`](Self::filled) says how much was.
    pub(crate) fn spare(&mut self, min: usize) -> &mut [u8] {
        if self.bytes.len() - self.end < min && self.start > 0 {
            // Move the data to the front before growing: the buffer stays as small as the
            // most it ever held at once, plus `min`.
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.bytes.len() - self.end < min {
            self.bytes.resize(self.end + min, 0);
        }
        &mut self.bytes[self.end..]
    }

    /// Records that `n` bytes of the [`spare`](Self::spare) room were filled.
    pub(crate) fn filled(&mut self, n: usize) {
        assert!(
            self.end + n <= self.bytes.len(),
            "filled past the spare room"
        );
        self.end += n;
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer").field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Buffer;

    #[test]
    fn bytes_come_out_in_order_across_compaction_and_growth() {
        let mut buffer = Buffer::new();
        buffer.extend(b"hello ");
        assert_eq!(buffer.take(2), b"he");
        buffer.extend(b"world");
        let room = buffer.spare(4);
        room[..3].copy_from_slice(b"!!!");
        buffer.filled(3);
        assert_eq!(buffer.data(), b"llo world!!!");
        assert_eq!(buffer.take_all(), b"llo world!!!");
        assert!(buffer.is_empty());
    }
}
