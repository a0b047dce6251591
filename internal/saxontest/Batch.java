// Batch runs official Schematron rule files on many documents in one JVM,
// with Saxon-HE's s9api: the test helper of package saxontest compiles it
// with javac and starts it once per run, instead of one JVM start per rule
// file and document (seconds each) as the verifier script schematron.sh
// costs.
//
// Usage: java -cp Saxon-HE.jar:DIR Batch SKELETON-DIR MANIFEST
//
// The manifest has one tab-separated record per line:
//
//	R <rules.sch> <compiled.xsl>   the rule file of the documents that follow;
//	                               compiled.xsl is made first if missing
//	D <document> <report.svrl>     a document and where its SVRL report goes
//
// A rule file is compiled as schematron.sh compiles it, into the same file
// of the same cache: queryBinding="xslt2" relabelled "xslt" (the xslt1
// skeleton refuses xslt2), the skeleton's three steps (include, abstract
// patterns, SVRL), and the generated stylesheet run as XSLT 2.0. A rule
// file or a document that fails is named on standard error, beginning
// "batch:", and the run goes on; its report is then missing.
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import javax.xml.transform.stream.StreamSource;

import net.sf.saxon.s9api.Processor;
import net.sf.saxon.s9api.SaxonApiException;
import net.sf.saxon.s9api.XsltCompiler;
import net.sf.saxon.s9api.XsltExecutable;

public class Batch {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Batch SKELETON-DIR MANIFEST");
            System.exit(2);
        }
        Processor proc = new Processor(false);
        XsltCompiler compiler = proc.newXsltCompiler();
        String[] steps = {"iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl"};
        XsltExecutable[] skeleton = null;
        XsltExecutable rules = null;
        int failed = 0;
        List<String> lines = Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8);
        for (String line : lines) {
            String[] f = line.split("\t");
            if (f.length != 3) {
                System.err.println("batch: bad manifest line: " + line);
                System.exit(2);
            }
            if (f[0].equals("R")) {
                rules = null;
                try {
                    File xsl = new File(f[2]);
                    if (!xsl.isFile() || xsl.length() == 0) {
                        if (skeleton == null) {
                            skeleton = new XsltExecutable[steps.length];
                            for (int i = 0; i < steps.length; i++) {
                                skeleton[i] = compiler.compile(new StreamSource(new File(args[0], steps[i])));
                            }
                        }
                        compile(proc, skeleton, new File(f[1]), xsl);
                    }
                    rules = compiler.compile(new StreamSource(xsl));
                } catch (Exception e) {
                    failed++;
                    System.err.println("batch: rule file " + f[1] + ": " + e.getMessage());
                }
                continue;
            }
            if (rules == null) {
                continue; // its rule file failed, and said so
            }
            try {
                rules.load30().transform(new StreamSource(new File(f[1])), proc.newSerializer(new File(f[2])));
            } catch (SaxonApiException e) {
                failed++;
                System.err.println("batch: document " + f[1] + ": " + e.getMessage());
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    // compile turns a Schematron file into its XSLT 2.0 stylesheet, written
    // whole under a temporary name and then renamed, so that a concurrent
    // run never reads half a stylesheet.
    static void compile(Processor proc, XsltExecutable[] skeleton, File sch, File xsl) throws Exception {
        String text = new String(Files.readAllBytes(sch.toPath()), StandardCharsets.UTF_8);
        byte[] doc = text.replace("queryBinding=\"xslt2\"", "queryBinding=\"xslt\"").getBytes(StandardCharsets.UTF_8);
        for (XsltExecutable step : skeleton) {
            StreamSource in = new StreamSource(new ByteArrayInputStream(doc), sch.toURI().toString());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            step.load30().transform(in, proc.newSerializer(out));
            doc = out.toByteArray();
        }
        String out = new String(doc, StandardCharsets.UTF_8).replaceFirst("version=\"1\\.0\">", "version=\"2.0\">");
        xsl.getParentFile().mkdirs();
        File tmp = File.createTempFile("compile", ".xsl.tmp", xsl.getParentFile());
        Files.write(tmp.toPath(), out.getBytes(StandardCharsets.UTF_8));
        Files.move(tmp.toPath(), xsl.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
