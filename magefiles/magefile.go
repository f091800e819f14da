//go:build mage

// The magefile only imports murder's targets; they live in ordinary,
// tested packages. devtargets adds Demo and Bench, for working on murder
// itself.
package main

import (
	//mage:import
	_ "github.com/murderfleet/murder/tasks/targets"
	//mage:import
	_ "github.com/murderfleet/murder/tasks/devtargets"
)
