package demonet

// DiscoveryCounts returns how many NAPTR queries the network's DNS server
// answered and how many requests its SMP served.
func DiscoveryCounts(n *Network) (naptr, smpRequests uint64) {
	return n.disc.dns.Stats().NAPTR, n.disc.smpRequests.Load()
}

// Unpublish removes the BDXL record of a country's participant from the
// DNS server; it reports whether there was one.
func Unpublish(n *Network, cc string) bool {
	name, err := bdxlName(cc)
	return err == nil && n.disc.dns.Delete(name)
}
