// Loaded into every test process by .taprc (node-arg), after tap's coverage recorder has
// started for that process. The processes a test starts (the CLI, the relay, fixture
// children) inherit this variable, and tap's recorder in them then records nothing: the
// coverage figure is that of the code the test processes ran themselves. Merged child
// coverage made the figure depend on how each child ended (only children that exit on
// their own write coverage; SIGKILLed ones write none) and mixed in code run under another
// transpiler (tsx) than the one tap maps.
process.env._TAPJS_PROCESSINFO_COVERAGE_ = '0';
