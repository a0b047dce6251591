// SaxonEval evaluates XPath expressions with Saxon-HE's s9api, each compiled
// on its own (so that a static error stays with its expression), and prints
// for each: count:value|value... or !ERRORCODE, separated by "\n@@\n".
//
// usage: java -cp Saxon-HE.jar SaxonEval.java DOC.xml CASES
// CASES holds the expressions separated by NUL characters; an expression
// starting with "ctx:" is evaluated with the first element named item in
// namespace urn:r as context item, others with the document node.
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import net.sf.saxon.s9api.*;

public class SaxonEval {
    public static void main(String[] args) throws Exception {
        Processor proc = new Processor(false);
        XdmNode doc = proc.newDocumentBuilder().build(new File(args[0]));
        String all = new String(Files.readAllBytes(new File(args[1]).toPath()), StandardCharsets.UTF_8);
        XPathCompiler xc = proc.newXPathCompiler();
        xc.setLanguageVersion("3.1");
        xc.declareNamespace("r", "urn:r");
        xc.declareNamespace("s", "urn:s");
        xc.declareNamespace("q", "urn:none");
        for (String v : new String[] {"v", "one", "empty", "pat"}) {
            xc.declareVariable(new QName(v));
        }
        XdmItem ctx = xc.evaluateSingle("(//r:item)[1]", doc);
        StringBuilder out = new StringBuilder();
        String[] cases = all.split("\u0000", -1);
        for (int i = 0; i < cases.length; i++) {
            String e = cases[i];
            XdmItem item = doc;
            if (e.startsWith("ctx:")) {
                e = e.substring(4);
                item = ctx;
            }
            String res;
            try {
                XPathSelector sel = xc.compile(e).load();
                sel.setContextItem(item);
                sel.setVariable(new QName("v"), new XdmValue(List.of(new XdmAtomicValue("b"), new XdmAtomicValue("a"), new XdmAtomicValue("b"))));
                sel.setVariable(new QName("one"), new XdmAtomicValue(1));
                sel.setVariable(new QName("empty"), XdmEmptySequence.getInstance());
                sel.setVariable(new QName("pat"), new XdmAtomicValue("^x$"));
                XdmValue v = sel.evaluate();
                List<String> parts = new ArrayList<>();
                for (XdmItem it : v) {
                    parts.add(it.getStringValue());
                }
                res = v.size() + ":" + String.join("|", parts);
            } catch (SaxonApiException ex) {
                QName code = ex.getErrorCode();
                res = "!" + (code == null ? "UNKNOWN" : code.getLocalName());
            } catch (RuntimeException ex) {
                res = "!RUNTIME " + ex;
            }
            if (i > 0) {
                out.append("\n@@\n");
            }
            out.append(res);
        }
        System.out.print(out);
    }
}
