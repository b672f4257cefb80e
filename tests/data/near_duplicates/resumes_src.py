# Base resumes for resumes.tsv: fictional people, original text written for interviewd.
# Five roles with four people each; people in one role share the role's stock phrases
# and skills on purpose (that is what makes the label-0 pairs hard). The "bootcamp"
# role goes further: its four graduates used the same resume template, so whole lines
# are shared (Henzinger 2006: same-template near-duplicates are the hard case).
# The "typos fixed" pairs in make_pairs.py put hand-picked typos into side a and keep
# the clean text on side b, as a candidate re-uploading a corrected resume would.

BASES = {}

# ---------------------------------------------------------------- backend engineers
BASES["be_anna"] = """Anna Kowalczyk
Backend Engineer | Krakow, Poland | anna.k@example.org
Summary
Backend engineer with 6 years of experience building REST APIs and data pipelines in Python and Go. Comfortable owning services from design to on-call.
Experience
Senior Backend Engineer, Parcelwise (2021 - Present)
- Designed and implemented a shipment tracking API in Go serving 4,000 requests per second.
- Reduced p99 latency from 900 ms to 180 ms by adding a Redis cache and batching database writes.
- Led the migration of 12 cron jobs to an event driven pipeline on Kafka.
- Mentored three junior engineers and ran the weekly architecture review.
Backend Engineer, Tillbox (2018 - 2021)
- Built payment reconciliation services in Python and Django with PostgreSQL.
- Wrote integration tests that cut production incidents by a third.
- Collaborated with cross-functional teams to ship a merchant reporting dashboard.
Education
BSc Computer Science, AGH University of Science and Technology, 2018
Skills
Python, Go, Django, PostgreSQL, Redis, Kafka, Docker, Kubernetes, AWS, gRPC"""

BASES["be_marcus"] = """Marcus Feld
Backend Engineer | Hamburg, Germany | marcus.feld@example.net
Summary
Backend engineer with 5 years of experience designing REST APIs and microservices in Python and Go. I care about observability, testing and clear documentation.
Experience
Backend Engineer, Hafenlog (2020 - Present)
- Designed and implemented a container booking API in Python with FastAPI and PostgreSQL.
- Reduced p95 latency by 60% by introducing a Redis cache and connection pooling.
- Built an event driven notification service on Kafka handling 2 million messages a day.
- Set up Prometheus metrics and Grafana dashboards for all team services.
Junior Backend Engineer, Stadtwerk Digital (2018 - 2020)
- Maintained billing microservices written in Go and deployed on Kubernetes.
- Collaborated with cross-functional teams to migrate customer data from Oracle to PostgreSQL.
- Wrote unit and integration tests raising coverage from 40% to 85%.
Education
MSc Computer Science, University of Hamburg, 2018
Skills
Python, Go, FastAPI, PostgreSQL, Redis, Kafka, Docker, Kubernetes, Prometheus, Grafana"""

BASES["be_priya"] = """Priya Raman
Software Engineer, Backend | Bengaluru, India | priya.raman@example.com
Summary
Software engineer with 7 years of experience in backend development using Java, Python and Go. Strong in distributed systems, API design and performance tuning.
Experience
Senior Software Engineer, Cartlane (2019 - Present)
- Designed and implemented an inventory reservation service in Go handling 10,000 requests per second at peak.
- Cut checkout failures by 35% by adding idempotency keys and retries with backoff.
- Led the move from a monolith to 9 microservices communicating over gRPC and Kafka.
- Interviewed over 60 candidates and onboarded new hires to the team.
Software Engineer, FinNest (2016 - 2019)
- Built loan processing REST APIs in Java and Spring Boot backed by MySQL.
- Introduced Redis caching for credit score lookups, reducing average response time by 70%.
- Collaborated with cross-functional teams on a regulatory reporting pipeline.
Education
BTech Computer Science and Engineering, NIT Trichy, 2016
Skills
Go, Java, Python, Spring Boot, gRPC, Kafka, MySQL, PostgreSQL, Redis, Docker, AWS"""

BASES["be_tomas"] = """Tomas Novak
Backend Developer | Prague, Czech Republic | tomas.novak@example.cz
Summary
Backend developer with 4 years of experience building REST APIs in Python and Django. Interested in databases, caching and developer tooling.
Experience
Backend Developer, Rezervo (2021 - Present)
- Designed and implemented a restaurant booking API in Python and Django REST Framework.
- Reduced database load by 50% by adding a Redis cache and rewriting slow PostgreSQL queries.
- Built background workers with Celery for email and SMS reminders.
- Wrote the onboarding guide and local development setup with Docker Compose.
Junior Developer, Vltava Soft (2019 - 2021)
- Maintained an internal CRM written in Python and Flask.
- Collaborated with cross-functional teams to add single sign on with OAuth 2.
- Automated deployments to AWS with GitHub Actions.
Education
Bc. Informatics, Czech Technical University in Prague, 2019
Skills
Python, Django, Flask, Celery, PostgreSQL, Redis, Docker, AWS, GitHub Actions"""

# ---------------------------------------------------------------- frontend engineers
BASES["fe_lena"] = """Lena Hoffmann
Frontend Engineer | Berlin, Germany | lena.hoffmann@example.de
Summary
Frontend engineer with 5 years of experience building accessible, fast web applications with React and TypeScript.
Experience
Frontend Engineer, Mietfuchs (2020 - Present)
- Built the apartment search interface in React and TypeScript used by 300,000 monthly visitors.
- Improved Largest Contentful Paint from 4.1 s to 1.8 s with code splitting and image optimisation.
- Created a shared component library with Storybook adopted by four teams.
- Worked closely with designers to meet WCAG 2.1 AA accessibility requirements.
Web Developer, Agentur Blau (2018 - 2020)
- Developed marketing sites and landing pages with JavaScript, HTML and CSS.
- Migrated legacy jQuery widgets to React components.
- Wrote end to end tests with Cypress for the checkout flow.
Education
BA Media Informatics, HTW Berlin, 2018
Skills
React, TypeScript, JavaScript, Redux, Next.js, CSS, Storybook, Jest, Cypress, Figma"""

BASES["fe_diego"] = """Diego Alvarez
Frontend Developer | Madrid, Spain | diego.alvarez@example.es
Summary
Frontend developer with 4 years of experience building responsive web applications with React, TypeScript and Next.js. Focused on performance and accessibility.
Experience
Frontend Developer, Viajamos (2021 - Present)
- Built the flight booking interface in React and TypeScript with server side rendering in Next.js.
- Improved Core Web Vitals scores by 40% through code splitting and lazy loading of images.
- Maintained a shared component library in Storybook used across three products.
- Worked closely with designers and product managers to run A/B tests on the checkout flow.
Junior Frontend Developer, Pixel Sur (2019 - 2021)
- Developed responsive landing pages with JavaScript, HTML and Sass.
- Migrated an AngularJS dashboard to React and Redux.
- Wrote unit tests with Jest and React Testing Library.
Education
Degree in Computer Engineering, Universidad Politecnica de Madrid, 2019
Skills
React, TypeScript, JavaScript, Next.js, Redux, Sass, Storybook, Jest, React Testing Library"""

BASES["fe_aiko"] = """Aiko Tanaka
Senior Frontend Engineer | Osaka, Japan | aiko.tanaka@example.jp
Summary
Senior frontend engineer with 8 years of experience in JavaScript and TypeScript, React and Vue. I build design systems and mentor frontend teams.
Experience
Senior Frontend Engineer, Kaimono (2019 - Present)
- Led the rebuild of the shopping cart in React and TypeScript, raising conversion by 6%.
- Designed a component library and design tokens shared by 40 engineers.
- Introduced visual regression tests and end to end tests with Playwright.
- Worked closely with designers to meet WCAG accessibility guidelines.
Frontend Engineer, Hikari Media (2015 - 2019)
- Built news reader applications in Vue.js with server side rendering.
- Reduced bundle size by 45% with tree shaking and code splitting.
- Mentored four junior developers through code reviews and pair programming.
Education
BEng Information Science, Osaka University, 2015
Skills
TypeScript, JavaScript, React, Vue.js, Nuxt, Webpack, Vite, Playwright, Jest, CSS"""

BASES["fe_samuel"] = """Samuel Okoro
Frontend Engineer | Lagos, Nigeria | samuel.okoro@example.ng
Summary
Frontend engineer with 3 years of experience building web applications in React and TypeScript for fintech products.
Experience
Frontend Engineer, PayBridge (2022 - Present)
- Built the merchant dashboard in React, TypeScript and Redux Toolkit.
- Improved page load time by 50% with code splitting and caching of API responses.
- Created reusable form components with validation shared across the dashboard.
- Worked closely with designers and backend engineers to define API contracts.
Junior Web Developer, Eko Digital (2021 - 2022)
- Developed responsive websites with JavaScript, HTML, CSS and Tailwind.
- Wrote unit tests with Jest and end to end tests with Cypress.
- Fixed accessibility issues reported in an external audit.
Education
BSc Computer Science, University of Lagos, 2020
Skills
React, TypeScript, JavaScript, Redux Toolkit, Tailwind CSS, Jest, Cypress, Git"""

# ---------------------------------------------------------------- data scientists
BASES["ds_maria"] = """Maria Rossi
Data Scientist | Milan, Italy | maria.rossi@example.it
Summary
Data scientist with 5 years of experience in machine learning, statistics and experimentation, working in Python and SQL.
Experience
Data Scientist, Spesa Facile (2020 - Present)
- Built a demand forecasting model with gradient boosting that reduced food waste by 12%.
- Designed and analysed A/B tests for pricing and recommendations across 200 stores.
- Created customer churn prediction models in Python with scikit-learn and XGBoost.
- Presented findings to stakeholders and wrote dashboards in Tableau.
Data Analyst, Banca Nord (2018 - 2020)
- Wrote SQL queries and reports on credit card transactions for the risk team.
- Automated monthly reporting with Python and pandas, saving two days of work each month.
- Built a fraud detection prototype with logistic regression.
Education
MSc Statistics, University of Milan, 2018
Skills
Python, SQL, pandas, scikit-learn, XGBoost, statistics, A/B testing, Tableau, Airflow"""

BASES["ds_kwame"] = """Kwame Mensah
Data Scientist | Accra, Ghana | kwame.mensah@example.com
Summary
Data scientist with 4 years of experience building machine learning models in Python and SQL for telecom and mobile money.
Experience
Data Scientist, TeleWave (2021 - Present)
- Built customer churn prediction models with XGBoost and scikit-learn, improving retention campaign targeting by 20%.
- Designed A/B tests for data bundle offers and analysed results with Bayesian methods.
- Developed a credit scoring model for mobile money loans using gradient boosting.
- Presented findings to stakeholders and built dashboards in Power BI.
Junior Data Analyst, Gold Coast Analytics (2019 - 2021)
- Wrote SQL queries to clean and join call detail records.
- Automated weekly reports with Python and pandas.
- Built a time series forecasting prototype for network traffic.
Education
BSc Mathematics, University of Ghana, 2019
Skills
Python, SQL, pandas, scikit-learn, XGBoost, Power BI, statistics, A/B testing, Spark"""

BASES["ds_elena"] = """Elena Petrova
Machine Learning Engineer | Sofia, Bulgaria | elena.petrova@example.bg
Summary
Machine learning engineer with 6 years of experience taking models from notebooks to production, in Python, PyTorch and SQL.
Experience
Machine Learning Engineer, Lexora (2020 - Present)
- Fine tuned transformer models in PyTorch for document classification with 94% accuracy.
- Built a feature store and training pipelines on Airflow and Spark.
- Deployed models behind FastAPI services with monitoring for data drift.
- Designed and analysed A/B tests for search ranking changes.
Data Scientist, Balkan Retail Group (2017 - 2020)
- Built demand forecasting models with gradient boosting and Prophet.
- Created customer segmentation with k-means clustering for marketing campaigns.
- Wrote SQL and Python reports for stakeholders.
Education
MSc Artificial Intelligence, Sofia University, 2017
Skills
Python, PyTorch, scikit-learn, SQL, Spark, Airflow, FastAPI, Docker, MLflow, statistics"""

BASES["ds_jonas"] = """Jonas Berg
Data Scientist | Stockholm, Sweden | jonas.berg@example.se
Summary
Data scientist with 3 years of experience in statistics, machine learning and data visualisation with Python and SQL.
Experience
Data Scientist, Strom Energi (2022 - Present)
- Built electricity demand forecasting models with gradient boosting and weather features.
- Designed and analysed A/B tests for the customer app with the product team.
- Created dashboards in Looker and presented findings to stakeholders.
- Built anomaly detection for smart meter data with isolation forests.
Data Analyst Intern, Nordbank (2021 - 2022)
- Wrote SQL queries and Python notebooks for the marketing team.
- Cleaned and documented customer datasets for a churn prediction project.
- Automated reports with pandas and scheduled them with Airflow.
Education
MSc Applied Mathematics, KTH Royal Institute of Technology, 2021
Skills
Python, SQL, pandas, scikit-learn, LightGBM, statistics, A/B testing, Looker, Airflow"""

# ---------------------------------------------------------------- devops / SRE
BASES["sre_olga"] = """Olga Ivanova
Site Reliability Engineer | Tallinn, Estonia | olga.ivanova@example.ee
Summary
Site reliability engineer with 6 years of experience running Kubernetes platforms on AWS, automating infrastructure with Terraform and improving incident response.
Experience
Senior SRE, Ledgerly (2020 - Present)
- Ran 14 production Kubernetes clusters on AWS EKS with 99.95% availability.
- Wrote Terraform modules for VPCs, databases and IAM used by all product teams.
- Built monitoring and alerting with Prometheus, Grafana and PagerDuty, cutting alert noise by 60%.
- Led blameless postmortems and introduced service level objectives.
DevOps Engineer, Baltic Cloud (2017 - 2020)
- Built CI/CD pipelines with Jenkins and GitLab CI for 30 services.
- Migrated virtual machines to Docker containers and Kubernetes.
- Automated server configuration with Ansible.
Education
BSc Computer Engineering, Tallinn University of Technology, 2017
Skills
Kubernetes, AWS, Terraform, Prometheus, Grafana, Docker, Ansible, Jenkins, GitLab CI, Linux, Go"""

BASES["sre_raj"] = """Raj Patel
DevOps Engineer | Toronto, Canada | raj.patel@example.ca
Summary
DevOps engineer with 5 years of experience building CI/CD pipelines, running Kubernetes and automating cloud infrastructure with Terraform.
Experience
DevOps Engineer, MapleHealth (2021 - Present)
- Built CI/CD pipelines with GitHub Actions and Argo CD for 45 microservices.
- Managed Kubernetes clusters on Google Cloud GKE and wrote Helm charts for every service.
- Wrote Terraform modules for networking, Cloud SQL and IAM.
- Built monitoring and alerting with Prometheus and Grafana and joined the on-call rotation.
Systems Administrator, Lakeshore IT (2018 - 2021)
- Administered Linux servers and automated configuration with Ansible.
- Migrated on premise applications to Docker containers.
- Wrote Bash and Python scripts for backups and log rotation.
Education
Diploma in Computer Systems Technology, Seneca College, 2018
Skills
Kubernetes, GCP, Terraform, Helm, Argo CD, GitHub Actions, Docker, Prometheus, Grafana, Ansible, Linux, Bash"""

BASES["sre_fatima"] = """Fatima Zahra El Idrissi
Cloud Infrastructure Engineer | Casablanca, Morocco | fatima.elidrissi@example.ma
Summary
Cloud infrastructure engineer with 4 years of experience on AWS and Azure, infrastructure as code with Terraform, and Kubernetes operations.
Experience
Cloud Engineer, Atlas Payments (2021 - Present)
- Designed the AWS landing zone with Terraform, covering 20 accounts, networking and IAM.
- Ran Kubernetes clusters on AWS EKS and automated upgrades with zero downtime.
- Built CI/CD pipelines with GitLab CI and introduced security scanning of container images.
- Reduced cloud costs by 30% with rightsizing and reserved instances.
Junior DevOps Engineer, Maghreb Telecom (2019 - 2021)
- Built monitoring and alerting with Prometheus and Grafana for core network services.
- Automated server provisioning on Azure with Ansible.
- Migrated Jenkins jobs to pipelines as code.
Education
Engineering Degree in Networks and Telecommunications, INPT Rabat, 2019
Skills
AWS, Azure, Terraform, Kubernetes, Docker, GitLab CI, Prometheus, Grafana, Ansible, Python, Linux"""

BASES["sre_ben"] = """Ben Carter
Site Reliability Engineer | Manchester, United Kingdom | ben.carter@example.co.uk
Summary
Site reliability engineer with 7 years of experience keeping high traffic services reliable, with Kubernetes, Terraform and a strong focus on observability.
Experience
Site Reliability Engineer, StreamCo (2019 - Present)
- Kept video streaming APIs at 99.99% availability for 5 million daily users.
- Built monitoring and alerting with Prometheus, Grafana and OpenTelemetry tracing.
- Wrote Terraform and Helm for Kubernetes clusters on AWS EKS.
- Led incident response and blameless postmortems, and defined service level objectives with product teams.
Systems Engineer, Northern Hosting (2015 - 2019)
- Administered Linux servers, load balancers and MySQL replicas.
- Built CI/CD pipelines with Jenkins for customer deployments.
- Automated configuration management with Puppet and later Ansible.
Education
BSc Computer Science, University of Manchester, 2015
Skills
Kubernetes, AWS, Terraform, Helm, Prometheus, Grafana, OpenTelemetry, Linux, Python, Go, Jenkins"""

# ---------------------------------------------------------------- bootcamp template
# Same template, same boilerplate: the hardest label-0 pairs.
BASES["bc_chloe"] = """Chloe Martin
Junior Full Stack Web Developer | Lyon, France | chloe.martin@example.fr
Summary
Motivated junior full stack web developer and graduate of the CodeCamp Web Development Bootcamp. Passionate about building user friendly web applications and eager to learn and grow in a collaborative team.
Projects
Recipe Finder (React, Node.js, Express, MongoDB)
- Built a full stack web application that lets users search recipes by ingredients.
- Implemented user authentication with JSON Web Tokens.
- Deployed the application to Heroku with a MongoDB Atlas database.
Budget Tracker (JavaScript, HTML, CSS)
- Created a responsive single page application to track monthly expenses.
- Stored data in the browser with local storage.
Experience
Customer Service Advisor, Telecom Rhone (2019 - 2023)
- Resolved customer issues by phone and chat and trained new advisors.
Education
Full Stack Web Development Bootcamp, CodeCamp, 2024
BA Languages, Universite Lyon 2, 2019
Skills
JavaScript, React, Node.js, Express, MongoDB, HTML, CSS, Git, REST APIs"""

BASES["bc_omar"] = """Omar Haddad
Junior Full Stack Web Developer | Lyon, France | omar.haddad@example.fr
Summary
Motivated junior full stack web developer and graduate of the CodeCamp Web Development Bootcamp. Passionate about building user friendly web applications and eager to learn and grow in a collaborative team.
Projects
Event Planner (React, Node.js, Express, MongoDB)
- Built a full stack web application that lets users create events and invite friends.
- Implemented user authentication with JSON Web Tokens.
- Deployed the application to Heroku with a MongoDB Atlas database.
Weather Dashboard (JavaScript, HTML, CSS)
- Created a responsive single page application showing a five day forecast from a public API.
- Stored recent searches in the browser with local storage.
Experience
Warehouse Team Lead, LogiSud (2018 - 2023)
- Coordinated a team of eight and introduced a barcode scanning process.
Education
Full Stack Web Development Bootcamp, CodeCamp, 2024
BTS Logistics, Lycee La Martiniere, 2018
Skills
JavaScript, React, Node.js, Express, MongoDB, HTML, CSS, Git, REST APIs"""

BASES["bc_sofia"] = """Sofia Lindqvist
Junior Full Stack Web Developer | Lyon, France | sofia.lindqvist@example.fr
Summary
Motivated junior full stack web developer and graduate of the CodeCamp Web Development Bootcamp. Passionate about building user friendly web applications and eager to learn and grow in a collaborative team.
Projects
Book Club (React, Node.js, Express, MongoDB)
- Built a full stack web application where users review books and join reading groups.
- Implemented user authentication with JSON Web Tokens.
- Deployed the application to Heroku with a MongoDB Atlas database.
Pomodoro Timer (JavaScript, HTML, CSS)
- Created a responsive single page application with customisable work and break intervals.
- Stored settings in the browser with local storage.
Experience
Primary School Teacher, Ecole Saint Jean (2016 - 2023)
- Planned lessons for classes of 25 pupils and introduced coding clubs.
Education
Full Stack Web Development Bootcamp, CodeCamp, 2024
Master of Education, Universite Lyon 1, 2016
Skills
JavaScript, React, Node.js, Express, MongoDB, HTML, CSS, Git, REST APIs"""

BASES["bc_lucas"] = """Lucas Moreau
Junior Full Stack Web Developer | Lyon, France | lucas.moreau@example.fr
Summary
Motivated junior full stack web developer and graduate of the CodeCamp Web Development Bootcamp. Passionate about building user friendly web applications and eager to learn and grow in a collaborative team.
Projects
Job Board (React, Node.js, Express, MongoDB)
- Built a full stack web application where companies post jobs and candidates apply.
- Implemented user authentication with JSON Web Tokens and role based access.
- Deployed the application to Heroku with a MongoDB Atlas database.
Quiz Game (JavaScript, HTML, CSS)
- Created a responsive single page application with a timer and a high score table.
- Stored high scores in the browser with local storage.
Experience
Sales Associate, Decathlon (2020 - 2023)
- Advised customers and managed stock for the cycling department.
Education
Full Stack Web Development Bootcamp, CodeCamp, 2024
Skills
JavaScript, React, Node.js, Express, MongoDB, HTML, CSS, Git, REST APIs"""

ROLES = {
    "backend": ["be_anna", "be_marcus", "be_priya", "be_tomas"],
    "frontend": ["fe_lena", "fe_diego", "fe_aiko", "fe_samuel"],
    "datasci": ["ds_maria", "ds_kwame", "ds_elena", "ds_jonas"],
    "sre": ["sre_olga", "sre_raj", "sre_fatima", "sre_ben"],
    "bootcamp": ["bc_chloe", "bc_omar", "bc_sofia", "bc_lucas"],
}
