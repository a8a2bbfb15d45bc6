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
// A MemoryManager keeps a sorted set of VMAs and a sparse page table from
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
// Private file pages are read from the File into fresh frames; pages
// wholly past the end of the file do not exist and a fault on one is
// SIGBUS, as on Linux. There is no page cache yet: a MAP_SHARED mapping of
// a file that can never be written (MMapOpts.NoWrite, the file is open
// read-only) reads pages the same way and does not see later writes to
// the file; other shared file mappings are ENODEV, unless the file's data
// lives in a SharedMemory object (MMapOpts.Shm), which file systems may
// use as their page store (ReadAt, WriteAt, SetSize, Punch): then mapping
// and file are coherent. SharedMemory also backs shared anonymous
// mappings and System V shm; it keeps a reverse map (which address spaces
// map it) so that truncating or punching it removes the pages everywhere.
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
//     and mapped writable. If the page is already mapped with its VMA's
//     full protection, the access exceeded the VMA: SIGSEGV/SEGV_ACCERR.
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
// lock order is MemoryManager.mu, then SharedMemory.mu, then
// MemoryFile.mu.
package mm
