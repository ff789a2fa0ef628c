package cpix_test

import (
	"fmt"

	"github.com/speke-go/keyprovider/internal/cpix"
)

func ExampleParse() {
	doc, err := cpix.Parse([]byte(`<c:CPIX xmlns:c="urn:dashif:org:cpix" contentId="abc123" version="2.3">
  <c:ContentKeyList><c:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff" commonEncryptionScheme="cbcs"/></c:ContentKeyList>
</c:CPIX>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	cid, _ := doc.Attr("contentId")
	kid, _ := doc.ContentKeys[0].Attr("kid")
	doc.ContentKeys[0].SetPlainValue("AAAAAAAAAAAAAAAAAAAAAA==")
	fmt.Println(cid, kid)
	fmt.Print(string(doc.Bytes()))
	// Output:
	// abc123 98ee5596-cd3e-a20d-163a-e382420c6eff
	// <?xml version="1.0" encoding="UTF-8"?>
	// <c:CPIX xmlns:c="urn:dashif:org:cpix" contentId="abc123" version="2.3">
	//   <c:ContentKeyList><c:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff" commonEncryptionScheme="cbcs"><c:Data><pskc:Secret xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue></pskc:Secret></c:Data></c:ContentKey></c:ContentKeyList>
	// </c:CPIX>
}
