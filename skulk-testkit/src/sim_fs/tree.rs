//! The simulated disk's contents: folders of names, and inodes that keep
//! what was written apart from what was synced.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path};

/// An index into [`Tree::inodes`].
pub(super) type InodeId = usize;
/// An index into [`Tree::dirs`].
pub(super) type DirId = usize;
/// The root folder's id.
pub(super) const ROOT: DirId = 0;

/// What a name points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Node {
    File(InodeId),
    Dir(DirId),
}

/// A file's bytes as the OS sees them (`written`) and as the disk holds them
/// for sure (`synced`, as of the last sync).
#[derive(Debug, Clone, Default)]
pub(super) struct Inode {
    pub written: Vec<u8>,
    pub synced: Vec<u8>,
    /// Open write handles and live maps.
    pub open: usize,
    /// Where the file hides after it was removed while open (FUSE mode).
    pub hidden: Option<(DirId, String)>,
}

/// A folder: its names now, and as of its last directory sync.
#[derive(Debug, Clone, Default)]
pub(super) struct Dir {
    pub current: BTreeMap<String, Node>,
    pub durable: BTreeMap<String, Node>,
}

/// Every folder and inode.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    pub inodes: Vec<Inode>,
    pub dirs: Vec<Dir>,
}

impl Default for Tree {
    fn default() -> Self {
        Self {
            inodes: Vec::new(),
            dirs: vec![Dir::default()],
        }
    }
}

pub(super) fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or folder", path.display()),
    )
}

fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {what}", path.display()),
    )
}

/// The names of `path`'s components; `..`, roots and prefixes are refused.
pub(super) fn components(path: &Path) -> io::Result<Vec<&str>> {
    let mut names = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(name) => {
                names.push(name.to_str().ok_or_else(|| invalid(path, "not UTF-8"))?)
            }
            Component::CurDir => {}
            _ => return Err(invalid(path, "only relative paths without `..`")),
        }
    }
    Ok(names)
}

impl Tree {
    /// The node at `path` (the root for `""`).
    pub fn lookup(&self, path: &Path) -> io::Result<Node> {
        let mut node = Node::Dir(ROOT);
        for name in components(path)? {
            let Node::Dir(dir) = node else {
                return Err(not_found(path));
            };
            node = *self
                .dir(dir)
                .current
                .get(name)
                .ok_or_else(|| not_found(path))?;
        }
        Ok(node)
    }

    /// The folder holding `path`, and `path`'s last name.
    pub fn parent<'p>(&self, path: &'p Path) -> io::Result<(DirId, &'p str)> {
        let names = components(path)?;
        let Some((last, _)) = names.split_last() else {
            return Err(invalid(path, "the root has no parent"));
        };
        let parent = path.parent().unwrap_or(Path::new(""));
        match self.lookup(parent)? {
            Node::Dir(dir) => Ok((dir, last)),
            Node::File(_) => Err(not_found(path)),
        }
    }

    pub fn dir(&self, id: DirId) -> &Dir {
        // Ids come from this tree's own nodes.
        &self.dirs[id]
    }

    pub fn dir_mut(&mut self, id: DirId) -> &mut Dir {
        &mut self.dirs[id]
    }

    pub fn inode(&self, id: InodeId) -> &Inode {
        &self.inodes[id]
    }

    pub fn inode_mut(&mut self, id: InodeId) -> &mut Inode {
        &mut self.inodes[id]
    }

    /// The inode of file `path`.
    pub fn file(&self, path: &Path) -> io::Result<InodeId> {
        match self.lookup(path)? {
            Node::File(id) => Ok(id),
            Node::Dir(_) => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{}: is a folder", path.display()),
            )),
        }
    }

    pub fn new_inode(&mut self) -> InodeId {
        self.inodes.push(Inode::default());
        self.inodes.len() - 1
    }

    pub fn new_dir(&mut self) -> DirId {
        self.dirs.push(Dir::default());
        self.dirs.len() - 1
    }
}
