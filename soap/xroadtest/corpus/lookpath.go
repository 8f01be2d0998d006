package corpus

import osexec "os/exec"

func exec(name string) (string, error) { return osexec.LookPath(name) }
