package chstore

// Lock is lock, for the tests of the migration lock.
var Lock = lock
