// libtorch's random generator is one per process: tests that seed it or check its state must not interleave with
// other test classes drawing from it, so this assembly runs its test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
