//go:build mage

// The magefile only imports murder's targets; they live in an ordinary,
// tested package.
package main

import (
	//mage:import
	_ "github.com/murderfleet/murder/tasks/targets"
)
