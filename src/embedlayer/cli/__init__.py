"""The ``embedlayer`` command line: thin wrappers that parse, call one public function, print."""
