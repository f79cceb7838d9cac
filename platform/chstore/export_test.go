package chstore

// Lock is lock, for the tests of the migration lock.
var Lock = lock

// DocOf is docOf, for the test of the doc layout.
var DocOf = docOf
