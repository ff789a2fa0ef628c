package secretkeys

// WaitRefresh waits for a background refresh started by Keys to finish, so
// tests can observe its outcome without sleeping.
func (s *Source) WaitRefresh() { s.wg.Wait() }
