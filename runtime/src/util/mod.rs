//! Data structures under the loop and the primitives, with no knowledge of either.

pub(crate) mod slab_list;
pub(crate) mod slab_shrink;
