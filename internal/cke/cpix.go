package cke

import (
	"strconv"

	"github.com/speke-go/keyprovider/internal/cpix"
)

// MaxRecipients bounds DeliveryData entries per document: SPEKE encryptors
// send one; each costs two RSA encryptions.
const MaxRecipients = 4

// Document encrypts the content keys of one CPIX answer for every
// recipient its DeliveryDataList names. All recipients share the session's
// document and MAC keys, as CPIX intends: each gets them wrapped with its
// own public key, and each content key is encrypted once.
type Document struct {
	doc        *cpix.Document
	session    *Session
	delivery   []*cpix.Element
	recipients []*Recipient
}

// ForDocument reads every DeliveryData certificate of doc. It returns nil
// and no error when doc has no DeliveryData (keys travel in the clear), and
// a CertificateError when a DeliveryData cannot be used.
func ForDocument(doc *cpix.Document) (*Document, error) {
	if len(doc.DeliveryData) == 0 {
		return nil, nil
	}
	if len(doc.DeliveryData) > MaxRecipients {
		return nil, certErr("more than "+strconv.Itoa(MaxRecipients)+" DeliveryData elements", nil)
	}
	d := &Document{doc: doc, delivery: doc.DeliveryData}
	for _, dd := range doc.DeliveryData {
		text, err := certificateText(dd)
		if err != nil {
			return nil, err
		}
		r, err := ParseCertificate(text)
		if err != nil {
			return nil, err
		}
		d.recipients = append(d.recipients, r)
	}
	s, err := NewSession()
	if err != nil {
		return nil, err
	}
	d.session = s
	return d, nil
}

// Recipients are the parsed certificates, one per DeliveryData.
func (d *Document) Recipients() []*Recipient { return d.recipients }

// certificateText finds DeliveryKey/ds:X509Data/ds:X509Certificate: exactly
// one of each, so the key is never chosen by guessing.
func certificateText(dd *cpix.Element) (string, error) {
	const msg = "DeliveryData needs exactly one DeliveryKey/X509Data/X509Certificate"
	dk := dd.Children(cpix.NSCPIX, "DeliveryKey")
	if len(dk) != 1 {
		return "", certErr(msg, nil)
	}
	xd := dk[0].Children(cpix.NSDSig, "X509Data")
	if len(xd) != 1 {
		return "", certErr(msg, nil)
	}
	xc := xd[0].Children(cpix.NSDSig, "X509Certificate")
	if len(xc) != 1 {
		return "", certErr(msg, nil)
	}
	return xc[0].Text(), nil
}

// SetKey writes key into ck as EncryptedValue and ValueMAC; the key has no
// PlainValue afterwards.
func (d *Document) SetKey(ck *cpix.ContentKey, key []byte) error {
	ct, mac, err := d.session.Seal(key)
	if err != nil {
		return err
	}
	d.doc.EnsureRootNamespace(cpix.NSXMLEnc)
	writeEncryptedValue(ck.Secret(), AlgAES256CBC, ct, mac)
	return nil
}

// Finish wraps the document and MAC keys for every recipient and writes
// them into its DeliveryData.
func (d *Document) Finish() error {
	d.doc.EnsureRootNamespace(cpix.NSXMLEnc)
	for i, dd := range d.delivery {
		w, err := d.session.Wrap(d.recipients[i])
		if err != nil {
			return err
		}
		writeDeliveryData(dd, w)
	}
	return nil
}

// writeDeliveryData adds DocumentKey and MACMethod to dd, replacing any the
// request carried.
//
// This is the one place that chooses the XML form of the MAC key. It is
// the AWS form (MACMethod/cpix:Key holding EncryptedValue and ValueMAC),
// which AWS's SPEKE documentation shows and AWS encryptors read. The
// CPIX/PSKC schema instead has MACMethod/pskc:MACKey as an
// xenc:EncryptedDataType; switch here if an encryptor proves to need it.
func writeDeliveryData(dd *cpix.Element, w Wrapped) {
	dd.RemoveChildren(cpix.NSCPIX, "DocumentKey")
	dd.RemoveChildren(cpix.NSCPIX, "MACMethod")
	dk := dd.AppendChild(cpix.NSCPIX, "DocumentKey")
	dk.SetAttr("Algorithm", AlgAES256CBC)
	secret := dk.AppendChild(cpix.NSCPIX, "Data").AppendChild(cpix.NSPSKC, "Secret")
	writeEncryptedValue(secret, AlgRSAOAEPMGF1P, w.DocumentKey, w.DocumentKeyMAC)
	mm := dd.AppendChild(cpix.NSCPIX, "MACMethod")
	mm.SetAttr("Algorithm", AlgHMACSHA512)
	writeEncryptedValue(mm.AppendChild(cpix.NSCPIX, "Key"), AlgRSAOAEPMGF1P, w.MACKey, w.MACKeyMAC)
}

// writeEncryptedValue appends pskc:EncryptedValue (xenc EncryptionMethod
// and CipherData/CipherValue) and pskc:ValueMAC to parent.
func writeEncryptedValue(parent *cpix.Element, alg string, ciphertext, mac []byte) {
	ev := parent.AppendChild(cpix.NSPSKC, "EncryptedValue")
	ev.AppendChild(cpix.NSXMLEnc, "EncryptionMethod").SetAttr("Algorithm", alg)
	ev.AppendChild(cpix.NSXMLEnc, "CipherData").AppendChild(cpix.NSXMLEnc, "CipherValue").SetBase64(ciphertext)
	parent.AppendChild(cpix.NSPSKC, "ValueMAC").SetBase64(mac)
}
