package access

import (
	"archive/zip"
	"fmt"
	"io"
	"time"
)

type exportZip struct{ zw *zip.Writer }

func newExportZip(w io.Writer) *exportZip { return &exportZip{zw: zip.NewWriter(w)} }

func (e *exportZip) add(name string, container []byte) error {
	f, err := e.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("access: export: %w", err)
	}
	_, err = f.Write(container)
	return err
}

// close adds README.txt naming the read record that authorised the export.
func (e *exportZip) close(readID string, n int) error {
	f, err := e.zw.Create("README.txt")
	if err != nil {
		return fmt.Errorf("access: export: %w", err)
	}
	fmt.Fprintf(f, "tunduk message-log export: %d signed ASiC-E containers.\n"+
		"Each .asice verifies on its own: tunduk archive verify FILE.asice\n"+
		"This export was recorded in the access log as %s.\n", n, readID)
	return e.zw.Close()
}
