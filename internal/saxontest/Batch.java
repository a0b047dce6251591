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
// "batch:", and the run goes on; its report is then missing. Rule files
// run in parallel, one thread each, up to the number of processors.
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.xml.transform.stream.StreamSource;

import net.sf.saxon.s9api.Processor;
import net.sf.saxon.s9api.SaxonApiException;
import net.sf.saxon.s9api.XsltExecutable;

public class Batch {
    // A rule file, its compiled stylesheet, and its documents with their
    // reports.
    static class Group {
        File sch, xsl;
        List<File[]> docs = new ArrayList<>();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Batch SKELETON-DIR MANIFEST");
            System.exit(2);
        }
        List<Group> groups = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length != 3 || !(f[0].equals("R") || f[0].equals("D")) || f[0].equals("D") && groups.isEmpty()) {
                System.err.println("batch: bad manifest line: " + line);
                System.exit(2);
            }
            if (f[0].equals("R")) {
                Group g = new Group();
                g.sch = new File(f[1]);
                g.xsl = new File(f[2]);
                groups.add(g);
            } else {
                groups.get(groups.size() - 1).docs.add(new File[] {new File(f[1]), new File(f[2])});
            }
        }
        Processor proc = new Processor(false);
        XsltExecutable[] skeleton = null;
        for (Group g : groups) {
            if (!g.xsl.isFile() || g.xsl.length() == 0) {
                String[] steps = {"iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl"};
                skeleton = new XsltExecutable[steps.length];
                for (int i = 0; i < steps.length; i++) {
                    skeleton[i] = proc.newXsltCompiler().compile(new StreamSource(new File(args[0], steps[i])));
                }
                break;
            }
        }
        // One rule file per task, as many at once as there are processors:
        // a Processor and an XsltExecutable may be shared between threads,
        // an XsltCompiler may not.
        final XsltExecutable[] skel = skeleton;
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(groups.size(), Runtime.getRuntime().availableProcessors())));
        List<Future<?>> done = new ArrayList<>();
        for (Group g : groups) {
            done.add(pool.submit(() -> run(proc, skel, g, failed)));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        System.exit(failed.get() == 0 ? 0 : 1);
    }

    static void run(Processor proc, XsltExecutable[] skeleton, Group g, AtomicInteger failed) {
        XsltExecutable rules;
        try {
            if (!g.xsl.isFile() || g.xsl.length() == 0) {
                compile(proc, skeleton, g.sch, g.xsl);
            }
            rules = proc.newXsltCompiler().compile(new StreamSource(g.xsl));
        } catch (Exception e) {
            failed.incrementAndGet();
            System.err.println("batch: rule file " + g.sch + ": " + e.getMessage());
            return;
        }
        for (File[] d : g.docs) {
            try {
                rules.load30().transform(new StreamSource(d[0]), proc.newSerializer(d[1]));
            } catch (SaxonApiException e) {
                failed.incrementAndGet();
                d[1].delete(); // no half report
                System.err.println("batch: document " + d[0] + ": " + e.getMessage());
            }
        }
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
