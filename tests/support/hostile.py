"""Input that tries to make the project expand, fetch or read what it should not: a YAML bomb, and files of
every RDF syntax naming an outside host (a listener on 127.0.0.1 that counts what it is sent)."""


def billion_laughs() -> str:
    """A facts file of a few hundred bytes whose nested aliases would expand to a billion strings."""
    levels = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "source:\n  id: laughs\n  title: [" + ", ".join(levels) + "]\n"


def outside_files(port: int) -> dict[str, str]:
    """File name -> text: Turtle naming the outside host at `port` every way it can, and files of other
    syntaxes (an XML entity bomb, an external entity, a remote JSON-LD context) that must not be read at all."""
    outside = f"http://127.0.0.1:{port}"
    return {
        # Turtle that names outside addresses every way it can: prefixes, a base, imports, a shapes graph
        "imports.ttl": f"""@base <{outside}/base/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ext: <{outside}/ns#> .
<urn:ctkg:test:outside> a owl:Ontology ; owl:imports <{outside}/ontology.ttl>, <relative.ttl> ;
    rdfs:seeAlso <{outside}/see-also> ; sh:shapesGraph <{outside}/shapes.ttl> ; sh:entailment ext:x .
""",
        # other syntaxes are not read at all: an entity bomb, an external entity, a remote JSON-LD context
        "bomb.rdf": """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="urn:ctkg:bomb"><rdfs:label>&h;</rdfs:label></rdf:Description>
</rdf:RDF>
""",
        "external.owl": f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "{outside}/entity">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="urn:x">&x;</rdf:Description>
</rdf:RDF>
""",
        "context.jsonld": f'{{"@context": "{outside}/context.jsonld", "@id": "urn:ctkg:x", "name": "x"}}\n',
    }


# Texts that try to break out of a SPARQL literal or IRI, for the REST parameters that take them.
INJECTIONS = ['x" } UNION { ?s ?p ?o } #', "x> } UNION { ?s ?p ?o", "'; DROP ALL; '", "a\\u0022b", "}}}}", "a || true",
              "<http://example.org/>", "%27%22", "a b"]
