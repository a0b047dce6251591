// XmlDsigWitness signs and verifies enveloped XML signatures with the JDK's
// own XML Signature implementation (javax.xml.crypto.dsig), so that the
// xmldsig package's tests can ask an implementation that is not ours.
//
// Usage: java XmlDsigWitness.java JOBS
//
// Each line of the file JOBS is one job:
//
//	sign METHOD DIGEST KEY.pem CERT.pem ID IN.xml OUT.xml
//	    signs the element whose ID attribute is ID (a Reference "#ID" with
//	    the enveloped-signature transform and exclusive c14n, exclusive c14n
//	    for SignedInfo, the certificate in ds:X509Data); the ds:Signature is
//	    inserted after the element's first child element (where SAML wants
//	    it, after saml:Issuer); KEY.pem is PKCS#8.
//	verify CERT.pem IN.xml
//	    validates the one ds:Signature of IN.xml with the certificate's key,
//	    every reference included; ID attributes are the attributes named ID.
//
// It prints one line per job: "ok" or "fail: reason".
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public class XmlDsigWitness {
    static final String DSIG = "http://www.w3.org/2000/09/xmldsig#";

    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(" ");
            try {
                if (f[0].equals("sign")) {
                    sign(f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
                } else {
                    verify(f[1], f[2]);
                }
                System.out.println("ok");
            } catch (Exception e) {
                System.out.println("fail: " + e.toString().replace('\n', ' '));
            }
        }
    }

    static Document parse(String file) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        return dbf.newDocumentBuilder().parse(new File(file));
    }

    static byte[] pem(String file) throws Exception {
        String s = Files.readString(Path.of(file)).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(s);
    }

    static X509Certificate cert(String file) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem(file)));
    }

    static void markIDs(Element e) {
        if (e.hasAttributeNS(null, "ID")) {
            e.setIdAttributeNS(null, "ID", true);
        }
        NodeList kids = e.getChildNodes();
        for (int i = 0; i < kids.getLength(); i++) {
            if (kids.item(i) instanceof Element) {
                markIDs((Element) kids.item(i));
            }
        }
    }

    static void sign(String method, String digest, String keyFile, String certFile, String id, String in, String out) throws Exception {
        X509Certificate c = cert(certFile);
        String alg = c.getPublicKey().getAlgorithm();
        PrivateKey key = KeyFactory.getInstance(alg.equals("EC") ? "EC" : "RSA").generatePrivate(new PKCS8EncodedKeySpec(pem(keyFile)));
        Document doc = parse(in);
        markIDs(doc.getDocumentElement());
        Element target = doc.getElementById(id);
        if (target == null) {
            throw new IllegalArgumentException("no element with ID " + id);
        }
        XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
        Reference ref = fac.newReference("#" + id, fac.newDigestMethod(digest, null),
            List.of(fac.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null),
                fac.newTransform(CanonicalizationMethod.EXCLUSIVE, (TransformParameterSpec) null)),
            null, null);
        SignedInfo si = fac.newSignedInfo(
            fac.newCanonicalizationMethod(CanonicalizationMethod.EXCLUSIVE, (C14NMethodParameterSpec) null),
            fac.newSignatureMethod(method, null), Collections.singletonList(ref));
        KeyInfoFactory kif = fac.getKeyInfoFactory();
        KeyInfo ki = kif.newKeyInfo(List.of(kif.newX509Data(List.of(c))));
        Node next = null;
        for (Node n = target.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                next = n.getNextSibling();
                break;
            }
        }
        DOMSignContext ctx = next == null ? new DOMSignContext(key, target) : new DOMSignContext(key, target, next);
        ctx.setDefaultNamespacePrefix("ds");
        fac.newXMLSignature(si, ki).sign(ctx);
        try (FileOutputStream o = new FileOutputStream(out)) {
            TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(o));
        }
    }

    static void verify(String certFile, String in) throws Exception {
        Document doc = parse(in);
        markIDs(doc.getDocumentElement());
        NodeList sigs = doc.getElementsByTagNameNS(DSIG, "Signature");
        if (sigs.getLength() != 1) {
            throw new IllegalArgumentException(sigs.getLength() + " signatures");
        }
        DOMValidateContext ctx = new DOMValidateContext(cert(certFile).getPublicKey(), sigs.item(0));
        XMLSignature sig = XMLSignatureFactory.getInstance("DOM").unmarshalXMLSignature(ctx);
        if (!sig.validate(ctx)) {
            StringBuilder why = new StringBuilder("invalid: signature value " + sig.getSignatureValue().validate(ctx));
            for (Object r : sig.getSignedInfo().getReferences()) {
                why.append(", reference ").append(((Reference) r).getURI()).append(' ').append(((Reference) r).validate(ctx));
            }
            throw new IllegalStateException(why.toString());
        }
    }
}
