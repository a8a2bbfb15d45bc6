// Package mm is kite's memory manager: application address spaces (VMAs,
// page tables, brk, stacks), the memory file that holds every page of
// application memory, demand paging, copy-on-write after fork, and the
// kernel's access to application memory (CopyIn, CopyOut).
//
// mm imports platform and golang.org/x/sys/unix only. Host system calls
// live in memfile.go alone (memfd, its kernel mapping, hole punching); the
// rest of the package reaches application memory through bounds-checked
// slices of the memory file's kernel mapping, never through the
// application's address space (no process_vm_readv).
//
// # Model
//
// A MemoryManager keeps a sorted set of VMAs (a linked list indexed by
// blocks, vma.go) and a sparse page table from
// page address to pte. A pte names the memory-file frame behind the page
// and records whether (and with what protection) the page is mapped in the
// platform address space. Frames are reference counted: one reference per
// pte, plus one per page held by a shared anonymous object. Private pages
// (anonymous or file) belong to their pte; after Fork parent and child ptes
// share a frame and are marked cow. Shared anonymous mappings get their
// pages from a SharedMemory object that every VMA mapping it refers to.
//
// Pages get frames on demand, sixteen at a time (fault-around): a fault
// fills the aligned 16-page window around the faulting page (within the
// VMA) and maps it with one MapFile call per run of contiguous frames.
// A shared memory object's missing pages (a tmpfs or memfd file's holes,
// a shared anonymous mapping's untouched pages) are its storage, so a
// fault allocates only the faulting one and maps the object's pages in
// the window that already have frames (objectWindowLocked), as Linux's
// fault-around maps only pages in the page cache (filemap_map_pages).
// A fault on a mapping of a shared memory object also maps the object's
// pages that already have frames in the aligned 1024-page window around
// it (4 MiB), in a few more runs at most (objectAroundLocked): a tmpfs
// file written with write(2) is then mapped 4 MiB per fault, where each
// fault and each MapFile is a round trip to the ptrace stub.
// Pages fallocate gave an object (SharedMemory.Allocate) stay
// "unwritten", as shmem's !uptodate folios, until written or faulted
// in: they are holes to SEEK_DATA and SEEK_HOLE, and fault-around does
// not map them.
// Files reach mm as SharedMemory objects (MMapOpts.Shm, with File for the
// name): the file's pages, which serve read, write and every mapping.
// For tmpfs and memfd files the object is the storage; for files kept
// elsewhere (ext4, FAT, host files) it is the inode's page cache, given a
// backing by vfs (SetBacking): missing pages are filled from the file,
// and Writeback (msync, fsync, sync, the last close) writes back the pages
// shared mappings may have written. MAP_SHARED maps the object's frames,
// coherent with read and write in every process; MAP_PRIVATE maps the
// same frames copy-on-write, so a private mapping shares clean pages
// until it writes them. Pages past the object's end are SIGBUS;
// truncating or punching the object removes its pages from every address
// space (SharedMemory keeps a reverse map). A File given without an
// object (the ELF loader's) is read into private frames when first
// touched; pages wholly past its end are SIGBUS. SharedMemory also backs
// shared anonymous mappings and System V shm.
//
// mm never reads a file while holding an address space's lock: reading
// may block, and a file (/proc/PID/maps) may look at this very address
// space. An operation that needs file pages under the lock (a fault, a
// kernel access, MADV_POPULATE) returns a needRead; lockedWithReads drops
// the lock, reads the pages into fresh frames (readFile), and runs the
// operation again, which takes the frames if the mapping still shows the
// same file pages there, and frees them otherwise. Pages of a backed
// object are filled into the object the same way (SharedMemory.fill).
//
// CopyInForce and CopyOutForce access memory as ptrace and /proc/PID/mem
// do (FOLL_FORCE): regardless of protection, writing private mappings
// copy-on-write.
//
// Frames are allocated in contiguous runs where possible, because each run
// of contiguous frames is one platform call to map (a ptrace platform
// injects an mmap into the stub for each): runs are searched next-fit, and
// never-used frames above the high-water mark are preferred to short holes
// while the holes stay moderate (the memory file is sparse, and freed
// frames are punched out of it, so untouched offsets cost no memory). When
// mremap moves a private anonymous mapping whose frames are scattered, its
// pages are copied into one fresh run, which costs less than mapping the
// pieces one by one.
//
// Memory locks (mlock, mlockall) only need what an application can see:
// kite never pages memory out, so a lock checks RLIMIT_MEMLOCK, marks the
// VMAs (splitting and merging them as Linux does) and populates them.
//
// # Faults without an access type
//
// The ptrace platform reports a fault's si_code but not whether the
// access was a read, write or execution. HandleFault therefore works from
// what it mapped:
//
//   - SEGV_MAPERR: nothing was mapped at the address. No VMA (and no stack
//     to grow) is SIGSEGV/SEGV_MAPERR; a PROT_NONE VMA is
//     SIGSEGV/SEGV_ACCERR; otherwise the window is filled and mapped with
//     the VMA's protection (without PROT_WRITE for cow pages) and the
//     application retries. If the access needed more than that, the retry
//     faults with SEGV_ACCERR.
//   - SEGV_ACCERR: the page is mapped but the access exceeded the mapping.
//     If the page is cow in a writable VMA, the access must have been a
//     write (or an execution, which the retry then reports again): the
//     page is copied, or taken over when no one else refers to its frame,
//     and mapped writable. A shared mapping of an object that refuses
//     writes (SetWritesRefused: an immutable ext4 file) is mapped
//     without PROT_WRITE too, and such a fault in a writable VMA is a
//     write: SIGBUS, as Linux's ext4_page_mkwrite. If the page is already
//     mapped with its VMA's full protection, the access exceeded the
//     VMA: SIGSEGV/SEGV_ACCERR.
//
// One race needs care: two threads write the same cow page, both fault,
// the first breaks copy-on-write, and the second then finds the page
// fully mapped. Its fault is stale, not a violation. A page that has just
// become writable therefore carries a small budget of SEGV_ACCERR faults
// that are answered by resuming; a genuine violation in a writable VMA
// (executing a non-executable page) exhausts the budget after a few
// retries and is then delivered. Pages in VMAs without PROT_WRITE never
// need the budget: nothing upgrades them behind a running thread's back.
//
// # Locking
//
// MemoryManager.mu (an RWMutex) guards a MemoryManager. Faults, mapping
// changes and the preparation of pages for kernel access hold it for
// writing; kernel copies of pages that are ready hold it for reading. The
// lock order is MemoryManager.pinMu, then MemoryManager.mu, then
// SharedMemory.mu or Userfault.mu, then MemoryFile.mu. A thread whose
// fault a userfaultfd must resolve waits after HandleFault returned,
// holding no lock (userfaultfd.go); a kernel access that meets such a
// page (prepareLocked) waits likewise after lockedWithReads released
// the lock, then retries. Pages pinned with Pin are used
// without mu (under file systems' locks, which rank above mu: a truncate
// holds them while it removes pages from address spaces); the file
// references of VMAs removed under mu are dropped after mu is released
// (MemoryManager.unlock), since the last one takes its file system's
// locks. pinMu keeps Fork from sharing a page the kernel is writing into.
package mm
