// Checks an RDF/XML ontology document with the OWL API, as Protégé would read it.
//
// Usage: java -cp <owlapi jars>:<dir of this class> CheckOntology file.owl
// Prints one line per problem and exits 1 if there is any, 0 if there is none, 2 if the file
// cannot be loaded. Problems are:
// - triples the RDF/XML parser could not turn into axioms, and declarations it had to guess;
// - OWL 2 DL profile violations, except those caused only by the datatypes xsd:date,
//   xsd:gYearMonth and xsd:gYear, which CTKG uses on purpose for dates of known precision and
//   which are outside the OWL 2 datatype map;
// - entities used without a declaration;
// - punning: one IRI used as more than one kind of entity (legal in OWL 2 DL for a class and an
//   individual, but CTKG allows none).
// The loader is strict, does not repair punning and does not treat Dublin Core as built in, so the
// file has to say everything itself.

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLDatatype;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLLiteral;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.profiles.violations.UseOfDefinedDatatypeInLiteral;
import org.semanticweb.owlapi.profiles.violations.UseOfUndeclaredDatatype;
import org.semanticweb.owlapi.profiles.violations.UseOfUnknownDatatype;

public class CheckOntology {

    private static final String XSD = "http://www.w3.org/2001/XMLSchema#";

    // Dates as precise as the source: a day, a month or a year.
    private static final Set<IRI> DATE_DATATYPES = Set.of(
            IRI.create(XSD + "date"), IRI.create(XSD + "gYearMonth"), IRI.create(XSD + "gYear"));

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: CheckOntology file.owl");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
                .setStrict(true)
                .setRepairIllegalPunnings(false)
                .setTreatDublinCoreAsBuiltIn(false)
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION);
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(
                    new FileDocumentSource(new File(args[0]), new RDFXMLDocumentFormat()), config);
        } catch (OWLOntologyCreationException e) {
            System.out.println("cannot load: " + e.getMessage());
            System.exit(2);
            return;
        }

        List<String> problems = new ArrayList<>();

        OWLDocumentFormat format = ontology.getNonnullFormat();
        if (!(format instanceof RDFXMLDocumentFormat)) {
            problems.add("not read as RDF/XML but as " + format.getKey());
        }
        format.getOntologyLoaderMetaData().ifPresent(meta -> {
            meta.getUnparsedTriples().forEach(t -> problems.add("unparsed triple: " + t));
            meta.getGuessedDeclarations().asMap().forEach(
                    (iri, kinds) -> problems.add("guessed declaration: " + iri + " as " + kinds));
        });

        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        List<String> ignored = new ArrayList<>();
        for (OWLProfileViolation violation : report.getViolations()) {
            if (isCausedByDateDatatype(violation)) {
                ignored.add("ignored " + violation.getClass().getSimpleName() + ": " + violation);
            } else {
                problems.add("OWL 2 DL violation " + violation.getClass().getSimpleName() + ": " + violation);
            }
        }

        ontology.signature()
                .filter(e -> !e.isBuiltIn() && !ontology.isDeclared(e))
                .filter(e -> !(e.isOWLDatatype() && DATE_DATATYPES.contains(e.getIRI())))
                .forEach(e -> problems.add("undeclared " + e.getEntityType() + ": " + e.getIRI()));

        Map<IRI, Set<String>> kinds = new TreeMap<>();
        ontology.signature().forEach(
                e -> kinds.computeIfAbsent(e.getIRI(), iri -> new TreeSet<>()).add(e.getEntityType().getName()));
        kinds.forEach((iri, names) -> {
            if (names.size() > 1) {
                problems.add("punned: " + iri + " is used as " + String.join(" and ", names));
            }
        });

        System.out.println("checked " + ontology.getAxiomCount() + " axioms, "
                + ontology.individualsInSignature().count() + " named individuals; ignored "
                + ignored.size() + " violations caused by xsd:date, xsd:gYearMonth or xsd:gYear");
        ignored.forEach(System.out::println);
        problems.forEach(System.out::println);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    // The violations a date datatype causes: the datatype is not declared (it cannot be: it is not
    // ours), not in the OWL 2 datatype map, or a literal of it is used.
    private static boolean isCausedByDateDatatype(OWLProfileViolation violation) {
        if (!(violation instanceof UseOfUndeclaredDatatype || violation instanceof UseOfUnknownDatatype
                || violation instanceof UseOfDefinedDatatypeInLiteral)) {
            return false;
        }
        Object expression = violation.getExpression();
        if (expression instanceof OWLLiteral) {
            expression = ((OWLLiteral) expression).getDatatype();
        }
        return expression instanceof OWLDatatype && DATE_DATATYPES.contains(((OWLDatatype) expression).getIRI());
    }
}
