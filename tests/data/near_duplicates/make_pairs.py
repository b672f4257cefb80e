#!/usr/bin/env python3
"""Writes resumes.tsv and questions.tsv from the hand-written sources beside it.

    python3 make_pairs.py        # run in this directory; rewrites both .tsv files

Every pair is written by hand: the base resumes in resumes_src.py, the edits below (each
one a concrete typo, line, date or reordering chosen for that resume), and the question
pairs in QUESTIONS. The script only applies the edits and writes the files, so a reader
can check each label against the text it describes.

TSV columns: id, label (1 = near duplicate, 0 = not), kind (what was edited, or why the
pair is a negative), a, b. Newlines inside a text are written as the two characters
backslash-n; there are no tabs in the texts.
"""
import itertools
import os

from resumes_src import BASES, ROLES

# ---------------------------------------------------------------- edit operations
# ("typos", [(right, wrong), ...])  side a has the typos, side b is the clean text
# ("add", anchor, line)             side b gets `line` after the line containing anchor
# ("replace", old, new)             side b has old replaced by new (dates, a phrase)
# ("swap", sub1, sub2)              side b swaps the lines containing sub1 and sub2


def apply(text, ops):
    a = text
    b = text
    for op in ops:
        kind = op[0]
        if kind == "typos":
            for right, wrong in op[1]:
                assert right in a, (right, a[:40])
                a = a.replace(right, wrong, 1)
        elif kind == "add":
            lines = b.split("\n")
            idx = [i for i, l in enumerate(lines) if op[1] in l]
            assert len(idx) == 1, (op[1], idx)
            lines.insert(idx[0] + 1, op[2])
            b = "\n".join(lines)
        elif kind == "replace":
            assert op[1] in b, op[1]
            b = b.replace(op[1], op[2], 1)
        elif kind == "swap":
            lines = b.split("\n")
            i = [k for k, l in enumerate(lines) if op[1] in l]
            j = [k for k, l in enumerate(lines) if op[2] in l]
            assert len(i) == 1 and len(j) == 1, (op, i, j)
            lines[i[0]], lines[j[0]] = lines[j[0]], lines[i[0]]
            b = "\n".join(lines)
        else:
            raise ValueError(kind)
    assert a != b
    return a, b


def kinds(ops):
    names = {"typos": "typos_fixed", "add": "line_added", "replace": "dates_or_phrase_changed",
             "swap": "bullets_reordered"}
    out = []
    for op in ops:
        if names[op[0]] not in out:
            out.append(names[op[0]])
    return "+".join(out)


EDITS = {
    "be_anna": [
        [("typos", [("experience", "experiance"), ("latency", "latancy"),
                    ("migration", "migraton"), ("junior engineers", "junior enginers")])],
        [("add", "Mentored three junior", "- Introduced OpenTelemetry tracing across 20 services."),
         ("replace", "(2018 - 2021)", "(2017 - 2021)")],
        [("typos", [("reconciliation", "reconcilation")]),
         ("swap", "Designed and implemented a shipment", "Led the migration of 12"),
         ("replace", "6 years of experience", "7 years of experience"),
         ("add", "Skills", "Certifications: AWS Certified Solutions Architect Associate (2024)")],
    ],
    "be_marcus": [
        [("swap", "Designed and implemented a container", "Set up Prometheus metrics"),
         ("swap", "Maintained billing microservices", "Wrote unit and integration tests")],
        [("replace", "Prometheus, Grafana", "Prometheus, Grafana, Terraform"),
         ("add", "MSc Computer Science, University of Hamburg", "AWS Certified Developer Associate, 2023")],
    ],
    "be_priya": [
        [("replace", "(2019 - Present)", "(2019 - 2025)"),
         ("replace", "(2016 - 2019)", "(2015 - 2019)")],
        [("typos", [("reservation", "reservaton"), ("communicating", "comunicating"),
                    ("regulatory", "regulatary")]),
         ("add", "Interviewed over 60", "- Reduced cloud spend by 25% by rightsizing Kubernetes workloads.")],
    ],
    "be_tomas": [
        [("add", "Built background workers", "- Added full text search with PostgreSQL, replacing a slow LIKE based search.")],
        [("swap", "Designed and implemented a restaurant", "Reduced database load by 50%"),
         ("typos", [("Automated", "Automatted"), ("onboarding", "onbording")])],
    ],
    "fe_lena": [
        [("typos", [("accessible", "accesible"), ("optimisation", "optimsation"),
                    ("requirements", "requirments"), ("Developed", "Develloped")])],
        [("add", "Created a shared component library", "- Added internationalisation for German, English and Turkish."),
         ("replace", "(2018 - 2020)", "(2017 - 2020)")],
    ],
    "fe_diego": [
        [("swap", "Built the flight booking", "Maintained a shared component"),
         ("swap", "Developed responsive landing", "Wrote unit tests with Jest")],
        [("replace", "Focused on performance and accessibility.",
          "I focus on web performance, accessibility and clean code.")],
    ],
    "fe_aiko": [
        [("add", "Introduced visual regression", "- Organised a monthly frontend guild with talks and workshops.")],
        [("replace", "(2019 - Present)", "(2019 - 2025)"),
         ("replace", "8 years of experience", "9 years of experience")],
        [("typos", [("conversion", "convertion"), ("regression", "regresion")]),
         ("swap", "Built news reader", "Reduced bundle size by 45%"),
         ("add", "Designed a component library", "- Migrated the build from Webpack to Vite, halving build times."),
         ("replace", "(2015 - 2019)", "(2014 - 2019)")],
    ],
    "fe_samuel": [
        [("typos", [("dashboard", "dashbaord"), ("validation", "validaton"),
                    ("responsive", "responsve")])],
        [("add", "Created reusable form components", "- Added dark mode and improved colour contrast across the dashboard."),
         ("replace", "Jest, Cypress, Git", "Jest, Cypress, Git, GraphQL")],
    ],
    "ds_maria": [
        [("replace", "(2020 - Present)", "(2020 - 2025)"),
         ("replace", "MSc Statistics, University of Milan, 2018", "MSc Statistics, University of Milan, 2017")],
        [("swap", "Built a demand forecasting", "Created customer churn prediction"),
         ("swap", "Wrote SQL queries and reports", "Built a fraud detection prototype")],
        [("typos", [("forecasting", "forcasting"), ("stakeholders", "stakeholers")]),
         ("add", "Presented findings to stakeholders", "- Built a price elasticity model used in quarterly planning."),
         ("swap", "Designed and analysed A/B tests", "Created customer churn"),
         ("replace", "5 years of experience", "6 years of experience")],
    ],
    "ds_kwame": [
        [("typos", [("prediction", "predicton"), ("Bayesian", "Baysian"), ("forecasting", "forecastng")])],
        [("add", "Developed a credit scoring model", "- Deployed models as batch jobs on Spark with daily retraining.")],
    ],
    "ds_elena": [
        [("add", "Deployed models behind FastAPI", "- Cut inference cost by 40% with model distillation and quantisation."),
         ("add", "MSc Artificial Intelligence", "Certification: TensorFlow Developer Certificate, 2022")],
        [("swap", "Fine tuned transformer", "Built a feature store"),
         ("swap", "Built demand forecasting models", "Created customer segmentation")],
    ],
    "ds_jonas": [
        [("typos", [("visualisation", "visualsation"), ("anomaly", "anomoly"), ("documented", "documentd")])],
        [("replace", "(2022 - Present)", "(2021 - Present)"),
         ("replace", "(2021 - 2022)", "(2020 - 2021)"),
         ("add", "Built anomaly detection", "- Wrote a Python package for feature engineering shared by the data team.")],
    ],
    "sre_olga": [
        [("swap", "Ran 14 production", "Led blameless postmortems"),
         ("swap", "Built CI/CD pipelines with Jenkins", "Automated server configuration")],
        [("typos", [("availability", "availabilty"), ("infrastructure", "infrastucture"),
                    ("postmortems", "post mortems")])],
        [("typos", [("configuration", "configuraton")]),
         ("add", "Wrote Terraform modules for VPCs", "- Introduced chaos engineering game days every quarter."),
         ("replace", "(2017 - 2020)", "(2016 - 2020)"),
         ("swap", "Built monitoring and alerting", "Wrote Terraform modules for VPCs")],
    ],
    "sre_raj": [
        [("add", "Wrote Terraform modules for networking", "- Cut build times by 60% with caching and parallel test runs.")],
        [("replace", "(2021 - Present)", "(2020 - Present)"),
         ("replace", "(2018 - 2021)", "(2017 - 2020)")],
    ],
    "sre_fatima": [
        [("typos", [("infrastructure", "infrastrcture"), ("downtime", "downtme"), ("provisioning", "provisionning")])],
        [("swap", "Designed the AWS landing zone", "Reduced cloud costs by 30%"),
         ("add", "Migrated Jenkins jobs", "- Wrote runbooks for the ten most frequent alerts.")],
    ],
    "sre_ben": [
        [("add", "Led incident response", "- Reduced mean time to recovery from 45 to 12 minutes with runbook automation.")],
    ],
    "bc_chloe": [
        [("add", "Deployed the application to Heroku", "- Wrote unit tests for the API with Jest and Supertest.")],
        [("typos", [("Motivated", "Motivatd"), ("ingredients", "ingrediants"), ("expenses", "expences")])],
    ],
    "bc_omar": [
        [("swap", "Built a full stack web application that lets users create", "Deployed the application to Heroku"),
         ("swap", "Created a responsive single page application showing", "Stored recent searches")],
    ],
    "bc_sofia": [
        [("replace", "(2016 - 2023)", "(2015 - 2023)"),
         ("add", "Implemented user authentication", "- Added a search feature with MongoDB text indexes.")],
    ],
    "bc_lucas": [
        [("add", "Advised customers and managed stock", "- Trained new staff on the point of sale system.")],
    ],
}

# ---------------------------------------------------------------- questions
# (a, b): the same question reworded (label 1), then different questions on related
# topics, often in the same sentence template (label 0).
QUESTIONS_SAME = [
    ("What is the difference between a process and a thread?", "Can you explain the difference between a process and a thread?"),
    ("How does a hash table handle collisions?", "How do hash tables deal with collisions between keys?"),
    ("Explain what a database index is and when you would add one.", "What is a database index, and when would you add one?"),
    ("Describe a time you disagreed with a teammate and how you resolved it.", "Tell me about a time you disagreed with a teammate and how you resolved it."),
    ("What happens when you type a URL into the browser and press enter?", "Walk me through what happens after you type a URL into a browser and press enter."),
    ("How would you design a URL shortener?", "Design a URL shortening service like bit.ly. How would you approach it?"),
    ("What are the SOLID principles?", "Can you name and explain the SOLID principles?"),
    ("Explain the CAP theorem.", "What does the CAP theorem say about distributed systems?"),
    ("How do you prioritise tasks when everything is urgent?", "How do you decide what to work on first when every task is urgent?"),
    ("What is the event loop in JavaScript?", "Can you explain how the JavaScript event loop works?"),
    ("What is a closure in JavaScript?", "Explain closures in JavaScript with an example."),
    ("How would you find a memory leak in a production service?", "How would you go about finding a memory leak in a service running in production?"),
    ("What is the difference between SQL and NoSQL databases?", "How do SQL databases differ from NoSQL databases?"),
    ("Explain overfitting and how to prevent it.", "What is overfitting, and how can you prevent it?"),
    ("What is the bias variance trade-off?", "Can you explain the trade-off between bias and variance?"),
    ("How would you evaluate a classification model on imbalanced data?", "How do you evaluate a classifier when the classes are heavily imbalanced?"),
    ("Tell me about a project you are proud of.", "Tell me about a project that you are most proud of."),
    ("Why do you want to work here?", "Why do you want to work for our company?"),
    ("What are your greatest strengths?", "What would you say are your greatest strengths?"),
    ("Describe your experience with Kubernetes.", "Tell me about your experience working with Kubernetes."),
    ("How do you handle a production incident at 3 a.m.?", "Walk me through how you handle a production incident in the middle of the night."),
    ("What is a race condition and how can you avoid it?", "Explain what a race condition is and how you would avoid one."),
    ("What is the difference between TCP and UDP?", "How is TCP different from UDP?"),
    ("Explain how HTTPS keeps data secure.", "How does HTTPS keep the data sent between browser and server secure?"),
    ("What is dependency injection?", "Can you explain what dependency injection is and why it is useful?"),
    ("How would you design a rate limiter?", "How would you design a rate limiter for a public API?"),
    ("What is the virtual DOM in React?", "Explain what React's virtual DOM is and why React uses it."),
    ("What are React hooks?", "Can you explain what hooks are in React?"),
    ("How do you make a web page accessible?", "What do you do to make a web page accessible to all users?"),
    ("What is a p-value?", "Explain what a p-value means."),
    ("How would you design an A/B test for a new checkout button?", "How would you set up an A/B test for a new checkout button?"),
    ("What is gradient descent?", "Can you explain how gradient descent works?"),
    ("What is infrastructure as code?", "Explain the idea of infrastructure as code."),
    ("What is the difference between a container and a virtual machine?", "How does a container differ from a virtual machine?"),
    ("How would you reduce the latency of a slow API endpoint?", "An API endpoint is slow. How would you reduce its latency?"),
    ("What is eventual consistency?", "Can you explain eventual consistency?"),
    ("Tell me about a time you made a mistake at work.", "Describe a time when you made a mistake at work and what you learned."),
    ("Where do you see yourself in five years?", "Where do you see yourself five years from now?"),
    ("How do you keep your technical skills up to date?", "How do you keep your technical skills current?"),
    ("What is a deadlock?", "Explain what a deadlock is and how it happens."),
    ("What is the difference between an abstract class and an interface?", "How does an abstract class differ from an interface?"),
    ("What is Big O notation?", "Can you explain Big O notation?"),
    ("How would you reverse a linked list?", "Write a function to reverse a singly linked list."),
    ("What is a service level objective?", "What is an SLO and how do you set one?"),
    ("How do you write a good code review?", "What makes a good code review?"),
    ("Describe a situation where you had to learn a new technology quickly.", "Tell me about a situation where you had to learn a new technology quickly."),
    ("How would you explain a technical concept to a non-technical stakeholder?", "How do you explain technical concepts to non-technical stakeholders?"),
    ("What is the difference between supervised and unsupervised learning?", "How does supervised learning differ from unsupervised learning?"),
    ("What is normalisation in databases?", "Explain database normalisation."),
    ("How does garbage collection work?", "Can you describe how garbage collection works?"),
    ("What is CORS?", "What is CORS and why do browsers enforce it?"),
    ("How would you handle a teammate who is not pulling their weight?", "What would you do if a teammate was not pulling their weight?"),
    ("What is a blue green deployment?", "Explain blue green deployments."),
    ("How do you monitor a microservice?", "How would you monitor a microservice in production?"),
    ("What is the difference between horizontal and vertical scaling?", "Explain horizontal scaling versus vertical scaling."),
    ("Describe a time you had to meet a tight deadline.", "Tell me about a time you had to meet a tight deadline."),
]

QUESTIONS_DIFFERENT = [
    ("What is the difference between a process and a thread?", "What is the difference between a mutex and a semaphore?"),
    ("How does a hash table handle collisions?", "How does a hash table resize when it gets full?"),
    ("Explain what a database index is and when you would add one.", "Explain what a database transaction is and when you would use one."),
    ("Describe a time you disagreed with a teammate and how you resolved it.", "Describe a time you disagreed with your manager and what happened."),
    ("How would you design a URL shortener?", "How would you design a chat application?"),
    ("What is the event loop in JavaScript?", "What is hoisting in JavaScript?"),
    ("What is a closure in JavaScript?", "What is a promise in JavaScript?"),
    ("What is the difference between SQL and NoSQL databases?", "What is the difference between SQL joins and subqueries?"),
    ("Explain overfitting and how to prevent it.", "Explain underfitting and how to detect it."),
    ("How would you evaluate a classification model on imbalanced data?", "How would you evaluate a regression model?"),
    ("Tell me about a project you are proud of.", "Tell me about a project that failed."),
    ("What are your greatest strengths?", "What are your greatest weaknesses?"),
    ("Describe your experience with Kubernetes.", "Describe your experience with Terraform."),
    ("What is the difference between TCP and UDP?", "What is the difference between HTTP/1.1 and HTTP/2?"),
    ("How would you design a rate limiter?", "How would you design a load balancer?"),
    ("What is the virtual DOM in React?", "What is state in React?"),
    ("What are React hooks?", "What are React portals?"),
    ("What is a p-value?", "What is a confidence interval?"),
    ("What is gradient descent?", "What is backpropagation?"),
    ("What is the difference between a container and a virtual machine?", "What is the difference between a container image and a container?"),
    ("How would you reduce the latency of a slow API endpoint?", "How would you reduce the memory usage of a service?"),
    ("What is eventual consistency?", "What is strong consistency?"),
    ("Tell me about a time you made a mistake at work.", "Tell me about a time you helped a colleague at work."),
    ("What is a deadlock?", "What is a livelock?"),
    ("What is the difference between an abstract class and an interface?", "What is the difference between composition and inheritance?"),
    ("How would you reverse a linked list?", "How would you detect a cycle in a linked list?"),
    ("What is a service level objective?", "What is an error budget?"),
    ("What is the difference between supervised and unsupervised learning?", "What is the difference between classification and regression?"),
    ("How does garbage collection work?", "How does reference counting work?"),
    ("What is a blue green deployment?", "What is a canary deployment?"),
    ("How do you monitor a microservice?", "How do you test a microservice?"),
    ("What is the difference between horizontal and vertical scaling?", "What is the difference between horizontal and vertical partitioning?"),
    ("Describe a time you had to meet a tight deadline.", "Describe a time you had to give difficult feedback."),
    ("How do you make a web page accessible?", "How do you make a web page load faster?"),
    ("What is infrastructure as code?", "What is configuration drift?"),
    ("What happens when you type a URL into the browser and press enter?", "What happens when a DNS lookup fails?"),
    ("Explain the CAP theorem.", "Explain the two phase commit protocol."),
    ("What is a race condition and how can you avoid it?", "What is a memory leak and how can you find it?"),
    ("Explain how HTTPS keeps data secure.", "Explain how password hashing keeps credentials secure."),
    ("What is dependency injection?", "What is the singleton pattern?"),
    ("How do you prioritise tasks when everything is urgent?", "How do you estimate how long a task will take?"),
    ("Why do you want to work here?", "Why are you leaving your current job?"),
    ("Where do you see yourself in five years?", "What did you achieve in the last five years?"),
    ("What is Big O notation?", "What is the time complexity of quicksort?"),
    ("What is CORS?", "What is CSRF?"),
    ("What is normalisation in databases?", "What is sharding in databases?"),
    ("How would you design an A/B test for a new checkout button?", "How would you measure the success of a new checkout button?"),
    ("What is the bias variance trade-off?", "What is the precision recall trade-off?"),
    ("How would you find a memory leak in a production service?", "How would you find the cause of high CPU usage in a production service?"),
    ("How do you handle a production incident at 3 a.m.?", "How do you run a postmortem after a production incident?"),
    ("What is the difference between a stack and a queue?", "What is the difference between a stack and a heap?"),
    ("How would you explain a technical concept to a non-technical stakeholder?", "How would you handle a stakeholder who keeps changing requirements?"),
    ("How do you keep your technical skills up to date?", "How do you keep documentation up to date?"),
    ("What makes a good code review?", "What makes a good unit test?"),
    ("Describe a situation where you had to learn a new technology quickly.", "Describe a situation where you had to choose between two technologies."),
    ("What is a binary search tree?", "What is a balanced binary search tree?"),
]


def esc(text):
    assert "\t" not in text and "\\n" not in text
    return text.replace("\n", "\\n")


def write(path, rows):
    with open(path, "w") as f:
        f.write("id\tlabel\tkind\ta\tb\n")
        for row in rows:
            f.write("\t".join([row[0], str(row[1]), row[2], esc(row[3]), esc(row[4])]) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    variants = {}  # person -> [side b of each edit], for the negatives below
    for person, edit_list in EDITS.items():
        for n, ops in enumerate(edit_list, 1):
            a, b = apply(BASES[person], ops)
            rows.append((f"{person}_v{n}", 1, kinds(ops), a, b))
            variants.setdefault(person, []).append(b)
    for role, people in ROLES.items():
        for p, q in itertools.combinations(people, 2):
            rows.append((f"{p}__{q}", 0, f"different_person_same_role_{role}", BASES[p], BASES[q]))
    # An edited resume against someone else's: same role, and for the bootcamp, the same
    # template too. Edits must not make different people look alike.
    for p, q in [("bc_chloe", "bc_omar"), ("bc_sofia", "bc_lucas"), ("bc_omar", "bc_sofia"),
                 ("be_anna", "be_marcus"), ("fe_aiko", "fe_lena"), ("sre_olga", "sre_ben")]:
        rows.append((f"{p}_v1__{q}", 0, "different_person_edited_resume", variants[p][0], BASES[q]))
    write(os.path.join(here, "resumes.tsv"), rows)

    qrows = []
    for n, (a, b) in enumerate(QUESTIONS_SAME, 1):
        qrows.append((f"q_same_{n:02d}", 1, "reworded", a, b))
    for n, (a, b) in enumerate(QUESTIONS_DIFFERENT, 1):
        qrows.append((f"q_diff_{n:02d}", 0, "related_topic", a, b))
    write(os.path.join(here, "questions.tsv"), qrows)
    print(f"resumes.tsv: {sum(r[1] for r in rows)} positive, {sum(1 - r[1] for r in rows)} negative")
    print(f"questions.tsv: {len(QUESTIONS_SAME)} positive, {len(QUESTIONS_DIFFERENT)} negative")


if __name__ == "__main__":
    main()
