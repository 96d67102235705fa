//! The one big-endian reader and writer behind every state's byte form.
//!
//! Each algorithm's state (and the lockout's [`FailureState`](super::lockout::FailureState))
//! is a run of big-endian `u64` and `u32` fields; these two helpers are the only
//! place the byte order and the bounds are handled.

/// Writes big-endian fields into a fixed-size array.
pub(crate) struct BeWriter<const N: usize> {
    out: [u8; N],
    at: usize,
}

impl<const N: usize> BeWriter<N> {
    pub(crate) const fn new() -> Self {
        Self { out: [0; N], at: 0 }
    }

    fn put(mut self, bytes: &[u8]) -> Self {
        if let Some(slot) = self.out.get_mut(self.at..self.at + bytes.len()) {
            slot.copy_from_slice(bytes);
            self.at += bytes.len();
        }
        self
    }

    pub(crate) fn u64(self, value: u64) -> Self {
        self.put(&value.to_be_bytes())
    }

    pub(crate) fn u32(self, value: u32) -> Self {
        self.put(&value.to_be_bytes())
    }

    pub(crate) const fn finish(self) -> [u8; N] {
        self.out
    }
}

/// Reads big-endian fields from the front of a byte slice.
pub(crate) struct BeReader<'a> {
    rest: &'a [u8],
}

impl<'a> BeReader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn take<const K: usize>(&mut self) -> Option<[u8; K]> {
        let (head, rest) = self.rest.split_first_chunk::<K>()?;
        self.rest = rest;
        Some(*head)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }
}

/// Reads a fixed-size state: exactly `N` bytes, or [`RateLimitError::InvalidState`].
pub(crate) fn fixed<const N: usize>(
    bytes: &[u8],
    algorithm: &'static str,
) -> Result<[u8; N], super::RateLimitError> {
    bytes
        .try_into()
        .map_err(|_| super::RateLimitError::InvalidState {
            algorithm,
            reason: "wrong length for this state",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_stops_at_the_end() {
        let bytes = BeWriter::<12>::new()
            .u64(0x0102_0304_0506_0708)
            .u32(9)
            .finish();
        assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9]);
        let mut reader = BeReader::new(&bytes);
        assert_eq!(reader.u64(), Some(0x0102_0304_0506_0708));
        assert_eq!(reader.u32(), Some(9));
        assert_eq!(reader.u32(), None);
        // A write past the end is dropped, never a panic.
        assert_eq!(BeWriter::<4>::new().u64(u64::MAX).finish(), [0; 4]);
        assert!(fixed::<4>(&[0; 3], "x").is_err());
    }
}
