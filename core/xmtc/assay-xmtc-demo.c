/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-demo.c: the demo's labelled corpus: short science-news items over 60 topics whose
 * frequencies fall off as a power law, so that most topics are tail labels (1-9 training
 * items). Each topic has its own vocabulary; items mix the words of their topics with common
 * words, so that the trained keyword profiles are readable. Seeded: the same corpus every time. */
#include "assay-xmtc-demo.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <unistd.h>

#include "assay-xmtc-import.h"

static const struct
{
  const char *name;
  const char *words[6];
} topics[] = {
  { "astronomy", { "telescope", "galaxy", "orbit", "stellar", "nebula", "observatory" } },
  { "climate", { "warming", "emissions", "carbon", "temperature", "glacier", "drought" } },
  { "genetics", { "genome", "dna", "mutation", "gene", "sequencing", "chromosome" } },
  { "neuroscience", { "neurons", "brain", "cortex", "synapse", "memory", "cognition" } },
  { "robotics", { "robot", "actuator", "gripper", "autonomous", "sensor", "locomotion" } },
  { "oceanography", { "ocean", "currents", "salinity", "reef", "marine", "tides" } },
  { "epidemiology", { "outbreak", "infection", "vaccine", "cohort", "transmission", "incidence" } },
  { "materials", { "alloy", "polymer", "graphene", "crystal", "ceramic", "coating" } },
  { "particle-physics", { "collider", "quark", "boson", "detector", "neutrino", "hadron" } },
  { "ecology", { "species", "habitat", "biodiversity", "predator", "forest", "pollinators" } },
  { "linguistics", { "grammar", "dialect", "syntax", "phoneme", "lexicon", "speakers" } },
  { "archaeology", { "excavation", "artifacts", "burial", "pottery", "ruins", "dating" } },
  { "seismology", { "earthquake", "fault", "magnitude", "tremor", "seismic", "aftershock" } },
  { "volcanology", { "volcano", "magma", "eruption", "lava", "crater", "ash" } },
  { "immunology", { "antibody", "tcell", "immune", "antigen", "cytokine", "inflammation" } },
  { "cryptography", { "encryption", "cipher", "keys", "quantum-safe", "signature", "hash" } },
  { "agronomy", { "crop", "yield", "soil", "irrigation", "fertilizer", "harvest" } },
  { "paleontology", { "fossil", "dinosaur", "jurassic", "skeleton", "sediment", "extinct" } },
  { "hydrology", { "aquifer", "river", "groundwater", "flood", "basin", "runoff" } },
  { "optics", { "laser", "photon", "lens", "wavelength", "interference", "fiber" } },
  { "virology", { "virus", "capsid", "viral", "replication", "host", "spillover" } },
  { "glaciology", { "ice", "sheet", "melt", "crevasse", "antarctic", "calving" } },
  { "mycology", { "fungi", "mycelium", "spores", "mushroom", "lichen", "hyphae" } },
  { "entomology", { "insects", "beetle", "larvae", "ants", "wings", "colony" } },
  { "ornithology", { "birds", "migration", "nest", "feathers", "songbird", "flock" } },
  { "acoustics", { "sound", "resonance", "echo", "frequency", "noise", "vibration" } },
  { "cartography", { "maps", "survey", "elevation", "projection", "terrain", "atlas" } },
  { "toxicology", { "toxin", "dose", "exposure", "poison", "contaminant", "lethal" } },
  { "metallurgy", { "smelting", "ore", "steel", "furnace", "ingot", "forging" } },
  { "meteorology", { "storm", "forecast", "rainfall", "cyclone", "pressure", "humidity" } },
  { "cosmology", { "universe", "inflation", "dark-matter", "redshift", "expansion", "cosmic" } },
  { "botany", { "plants", "leaves", "photosynthesis", "roots", "flowering", "seeds" } },
  { "nanotech", { "nanoparticles", "nanoscale", "nanotubes", "quantum-dots", "assembly", "surface" } },
  { "limnology", { "lakes", "freshwater", "plankton", "algae", "sediments", "oxygen" } },
  { "speleology", { "caves", "stalactites", "karst", "underground", "chambers", "bats" } },
  { "herpetology", { "reptiles", "lizards", "snakes", "amphibians", "frogs", "venom" } },
  { "tribology", { "friction", "wear", "lubricant", "bearing", "sliding", "abrasion" } },
  { "dendrology", { "trees", "bark", "rings", "timber", "canopy", "saplings" } },
  { "bryology", { "mosses", "liverworts", "bryophytes", "damp", "spore-capsules", "carpets" } },
  { "ichthyology", { "fish", "fins", "spawning", "gills", "shoals", "salmon" } },
  { "palynology", { "pollen", "grains", "cores", "spores", "vegetation", "stratigraphy" } },
  { "astrobiology", { "exoplanet", "biosignature", "habitable", "mars", "microbes", "europa" } },
  { "geodesy", { "gravity", "satellite", "geoid", "positioning", "crust", "deformation" } },
  { "nephology", { "clouds", "cumulus", "droplets", "cirrus", "condensation", "overcast" } },
  { "selenology", { "moon", "lunar", "regolith", "maria", "apollo", "craters" } },
  { "malacology", { "snails", "mollusks", "shells", "slugs", "clams", "octopus" } },
  { "lichenology", { "lichens", "symbiosis", "crust", "thallus", "rocks", "algal" } },
  { "myrmecology", { "ant", "queens", "workers", "pheromones", "nests", "foraging" } },
  { "petrology", { "rocks", "granite", "basalt", "minerals", "metamorphic", "igneous" } },
  { "oology", { "eggs", "shells", "clutch", "incubation", "hatching", "yolk" } },
  { "nematology", { "nematodes", "roundworms", "parasites", "soil-worms", "cysts", "hosts" } },
  { "dermatology", { "skin", "rash", "eczema", "lesions", "melanoma", "topical" } },
  { "rheology", { "viscosity", "flow", "shear", "elastic", "fluids", "deformation-rate" } },
  { "phycology", { "seaweed", "kelp", "diatoms", "algae-blooms", "chlorophyll", "phytoplankton" } },
  { "ethology", { "behavior", "courtship", "territory", "instinct", "grooming", "dominance" } },
  { "pedology", { "soils", "horizons", "humus", "clay", "erosion", "profiles" } },
  { "chronobiology", { "circadian", "rhythms", "clock", "sleep", "melatonin", "daylight" } },
  { "vexillology", { "flags", "banners", "emblems", "colors", "heraldry", "standards" } },
  { "campanology", { "bells", "ringing", "peals", "towers", "chimes", "bronze" } },
  { "speleothems", { "flowstone", "dripstone", "calcite", "cave-pearls", "helictites", "formations" } },
};

static const char *common[] = {
  "researchers", "study", "new", "results", "team", "data", "found", "report", "university",
  "scientists", "published", "analysis", "model", "evidence", "findings", "measurements",
  "project", "samples", "early", "large", "suggests", "method", "field", "year",
};

static const char *templates[] = {
  "Researchers report that %s %s changes %s across the %s.",
  "A new study of %s links %s to %s in the %s.",
  "The team measured %s and %s, finding %s near the %s.",
  "Scientists describe %s %s with unexpected %s and %s.",
  "Early results on %s suggest %s shapes %s during the %s.",
};

static const char *headlines[] = {
  "%s and %s in focus", "What %s says about %s", "A closer look at %s and %s",
  "New %s data on %s", "Why %s matters for %s",
};

static const char *
pick_word (GRand *rand, const int *labels, guint n_labels)
{
  if (g_rand_double (rand) < 0.55)
    {
      int t = labels[g_rand_int_range (rand, 0, (gint32) n_labels)];
      return topics[t].words[g_rand_int_range (rand, 0, 6)];
    }
  return common[g_rand_int_range (rand, 0, G_N_ELEMENTS (common))];
}

char *
assay_xmtc_demo_corpus_jsonl (guint n_docs, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  const guint n_topics = G_N_ELEMENTS (topics);
  double     *cumulative = g_new (double, n_topics);
  double      total = 0;
  GString    *out = g_string_new (NULL);

  /* Power-law topic frequencies: a few head topics, a long tail. */
  for (guint t = 0; t < n_topics; t++)
    {
      total += 1.0 / pow (t + 1.0, 1.35);
      cumulative[t] = total;
    }
  for (guint d = 0; d < n_docs; d++)
    {
      int    labels[3];
      guint  n_labels = 1 + (g_rand_double (rand) < 0.3) + (g_rand_double (rand) < 0.1);
      guint  n_sentences = 2 + g_rand_int_range (rand, 0, 3);
      GString *text = g_string_new (NULL);

      for (guint i = 0; i < n_labels; i++)
        {
          double u = g_rand_double (rand) * total;
          guint  t = 0;
          while (t + 1 < n_topics && cumulative[t] < u)
            t++;
          labels[i] = (int) t;
        }
      for (guint s = 0; s < n_sentences; s++)
        {
          const char *tmpl = templates[g_rand_int_range (rand, 0, G_N_ELEMENTS (templates))];
          g_string_append_printf (text, tmpl, pick_word (rand, labels, n_labels),
                                  pick_word (rand, labels, n_labels),
                                  pick_word (rand, labels, n_labels),
                                  pick_word (rand, labels, n_labels));
          g_string_append_c (text, ' ');
        }
      {
        g_autofree char *title = g_strdup_printf (
          headlines[g_rand_int_range (rand, 0, G_N_ELEMENTS (headlines))],
          pick_word (rand, labels, n_labels), pick_word (rand, labels, n_labels));
        title[0] = g_ascii_toupper (title[0]);
        g_string_append_printf (out, "{\"id\": \"item-%u\", \"split\": \"%s\", "
                                     "\"title\": \"%s\", \"text\": \"%s\", \"labels\": [",
                                d + 1, d % 5 == 4 ? "test" : "train", title, text->str);
      }
      for (guint i = 0; i < n_labels; i++)
        g_string_append_printf (out, "%s\"%s\"", i ? ", " : "", topics[labels[i]].name);
      g_string_append (out, "]}\n");
      g_string_free (text, TRUE);
    }
  g_free (cumulative);
  return g_string_free (out, FALSE);
}

gint64
assay_xmtc_demo_import (AssayStore *store, GError **error)
{
  g_autofree char *text = assay_xmtc_demo_corpus_jsonl (3000, 7);
  g_autofree char *path = NULL;
  AssayXmtcImportOptions options;
  AssayXmtcImportResult  result;
  int fd = g_file_open_tmp ("assay-demo-XXXXXX.jsonl", &path, error);
  gboolean ok;

  if (fd < 0)
    return 0;
  close (fd);
  if (!g_file_set_contents (path, text, -1, error))
    return 0;
  assay_xmtc_import_options_init (&options);
  options.name = _("Science news (demo)");
  options.format = ASSAY_XMTC_FORMAT_JSONL;
  ok = assay_xmtc_import (store, path, &options, &result, NULL, NULL, NULL, error);
  g_unlink (path);
  return ok ? result.dataset : 0;
}
